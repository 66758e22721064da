/* The hot loops of the PDF reader in C: the per-character, per-object and per-segment loops of
 * parsers/pdf_pdfium.py, the word grouping, edge merging, table finder and cell texts of
 * parsers/pdf.py, and the object parser of parsers/pdf_objects.py (pdf_value).
 *
 * The Python loops make two or three PDFium calls through ctypes and build one tuple for every
 * character of a page; that Python work, not PDFium, was most of a PDF parse. These functions make
 * the same calls in the same order and compute the same doubles with the same operations, so their
 * results are identical to the Python loops' (tests/parsers/test_pdf_fast.py compares them on every
 * PDF fixture, tests/parsers/test_pdf_speedups.py on the edge cases). PDFium is not linked: the caller
 * passes the addresses of the PDFium functions pypdfium2 has loaded, so this module needs only a C
 * compiler and Python's headers to build. Compiled with -ffp-contract=off: a fused multiply-add would
 * round x0 + advance * scale once instead of twice and differ from Python in the last bit. Every
 * function holds the GIL throughout.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef void *(*get_text_object_fn)(void *, int);
typedef unsigned int (*get_unicode_fn)(void *, int);
typedef int (*is_generated_fn)(void *, int);
typedef int (*get_char_origin_fn)(void *, int, double *, double *);
typedef int (*glyph_width_fn)(void *, uint32_t, float, float *);
typedef int (*count_objects_fn)(void *);
typedef void *(*get_object_fn)(void *, int);
typedef int (*object_type_fn)(void *);
typedef int (*object_matrix_fn)(void *, float *);
typedef int (*font_size_fn)(void *, float *);
typedef void *(*text_font_fn)(void *);
typedef int (*count_segments_fn)(void *);
typedef void *(*get_segment_fn)(void *, int);
typedef int (*segment_type_fn)(void *);
typedef int (*segment_point_fn)(void *, float *, float *);
typedef int (*segment_close_fn)(void *);

static void *address_of(PyObject *value) {
    return PyLong_AsVoidPtr(value);
}

/* The `count` PDFium function addresses of the tuple `functions`, into `out`. */
static int function_addresses(PyObject *functions, Py_ssize_t count, void **out) {
    if (PyTuple_GET_SIZE(functions) != count) {
        PyErr_Format(PyExc_ValueError, "%zd PDFium function addresses expected", count);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) out[i] = address_of(PyTuple_GET_ITEM(functions, i));
    return PyErr_Occurred() ? -1 : 0;
}

static int maybe_generated(unsigned int code) {
    return code == 0x20 || code == 0x0D || code == 0x0A || code == 0x2D || code == 0x02;
}

/* pdf_pdfium._UNMAPPED: a C0 control character or a replacement character. */
static int unmapped(unsigned int code) {
    return code < 0x20 || code == 0xFFFD || code == 0xFFFE || code == 0xFFFF;
}

typedef struct {
    void *font;
    double scale, glyph_height, descent;
} TextObject;

/* pdfminer's descent of each font met on the page, asked of `descent_of(font)` once per font. */
typedef struct {
    void *fonts[64];
    double descents[64];
    int count;
    PyObject *descent_of;
} Descents;

static int descent(Descents *known, void *font, double *out) {
    for (int k = 0; k < known->count; k++) {
        if (known->fonts[k] == font) {
            *out = known->descents[k];
            return 0;
        }
    }
    PyObject *handle = PyLong_FromVoidPtr(font);
    PyObject *value = handle == NULL ? NULL : PyObject_CallOneArg(known->descent_of, handle);
    Py_XDECREF(handle);
    if (value == NULL) return -1;
    *out = PyFloat_AsDouble(value);
    Py_DECREF(value);
    if (*out == -1.0 && PyErr_Occurred()) return -1;
    if (known->count < 64) {
        known->fonts[known->count] = font;
        known->descents[known->count++] = *out;
    }
    return 0;
}

/* PDFium's view of one text object, read into buffers kept for the whole page (as
 * pdf_pdfium._ObjectReader keeps them). */
typedef struct {
    object_matrix_fn object_matrix;
    font_size_fn font_size;
    text_font_fn text_font;
    float matrix[6];
    float size;
} ObjectReader;

/* What the characters of text object `key` share (pdf_pdfium._ObjectReader and _Fonts): its font,
 * matrix a, b, c, d and font size as PDFium gives them; rotated or mirrored text raises
 * `unavailable`. */
static int text_object(ObjectReader *reader, Descents *known, PyObject *unavailable, void *key,
                       TextObject *out) {
    out->font = reader->text_font(key);
    reader->object_matrix(key, reader->matrix);
    reader->font_size(key, &reader->size);
    double a = reader->matrix[0], b = reader->matrix[1], c = reader->matrix[2], d = reader->matrix[3];
    double size = reader->size;
    if (b != 0 || c != 0 || a <= 0 || d <= 0) {
        PyErr_SetString(unavailable, "rotated or mirrored text");
        return -1;
    }
    double font_descent;
    if (descent(known, out->font, &font_descent) < 0) return -1;
    out->scale = size * a;
    out->glyph_height = size * d;
    out->descent = font_descent * size * d;
    return 0;
}

/* Glyph advances already asked for, by font and code: FPDFFont_GetGlyphWidth maps the code back to
 * the font's character code on every call, which for a CID font is a search of its ToUnicode map. An
 * open-addressing table with at least twice as many slots as the page has characters never fills. */
typedef struct {
    void *font;
    unsigned int code;
    float width;
} Advance;

typedef struct {
    Advance *slots;
    size_t mask;
} Advances;

static int advances_init(Advances *table, int count) {
    size_t size = 64;
    while (size < 2 * (size_t)count + 2) size <<= 1;
    table->slots = PyMem_Calloc(size, sizeof(Advance));
    table->mask = size - 1;
    if (table->slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The glyph width at size 1000 of `code` in `font`; 0 when PDFium has none. */
static int advance_of(Advances *table, glyph_width_fn glyph_width, void *font, unsigned int code,
                      float *width) {
    size_t i = (((uintptr_t)font >> 4) * 31u + code * 2654435761u) & table->mask;
    while (table->slots[i].font != NULL) {
        if (table->slots[i].font == font && table->slots[i].code == code) {
            *width = table->slots[i].width;
            return 1;
        }
        i = (i + 1) & table->mask;
    }
    if (!glyph_width(font, code, 1000.0f, width)) return 0;
    table->slots[i].font = font;
    table->slots[i].code = code;
    table->slots[i].width = *width;
    return 1;
}

/* A tuple of `first` (a new reference, stolen) and four floats; NULL on error. */
static PyObject *tuple_of(PyObject *first, double a, double b, double c, double d) {
    PyObject *item = PyTuple_New(5);
    if (item == NULL) {
        Py_DECREF(first);
        return NULL;
    }
    PyTuple_SET_ITEM(item, 0, first);
    double values[4] = {a, b, c, d};
    for (int k = 0; k < 4; k++) {
        PyObject *value = PyFloat_FromDouble(values[k]);
        if (value == NULL) {
            Py_DECREF(item);
            return NULL;
        }
        PyTuple_SET_ITEM(item, k + 1, value);
    }
    return item;
}

static PyObject *append_char(PyObject *chars, PyObject *ch, double x0, double x1, double top, double bottom) {
    Py_INCREF(ch);
    PyObject *item = tuple_of(ch, x0, x1, top, bottom);
    if (item == NULL) return NULL;
    int failed = PyList_Append(chars, item);
    Py_DECREF(item);
    return failed ? NULL : chars;
}

/* The one-character strings of a page by code, made once each: a page repeats a few hundred
 * characters, and its chars then share them. Open addressing with at least twice as many slots as
 * the page has characters. */
typedef struct {
    unsigned int *codes;
    PyObject **strings;
    size_t mask;
} CharStrings;

static int char_strings_init(CharStrings *table, int count) {
    size_t size = 64;
    while (size < 2 * (size_t)count + 2) size <<= 1;
    table->codes = PyMem_Calloc(size, sizeof(unsigned int));
    table->strings = PyMem_Calloc(size, sizeof(PyObject *));
    table->mask = size - 1;
    if (table->codes == NULL || table->strings == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The string of `code` (a borrowed reference), or NULL on error. */
static PyObject *char_string(CharStrings *table, unsigned int code) {
    size_t i = (code * 2654435761u) & table->mask;
    while (table->strings[i] != NULL) {
        if (table->codes[i] == code) return table->strings[i];
        i = (i + 1) & table->mask;
    }
    PyObject *string = PyUnicode_FromOrdinal((int)code);
    if (string == NULL) return NULL;
    table->codes[i] = code;
    table->strings[i] = string;
    return string;
}

static void char_strings_free(CharStrings *table) {
    if (table->strings != NULL)
        for (size_t i = 0; i <= table->mask; i++) Py_XDECREF(table->strings[i]);
    PyMem_Free(table->codes);
    PyMem_Free(table->strings);
}

PyDoc_STRVAR(page_chars_doc,
             "page_chars(textpage, count, height, text, descent_of, functions, unavailable)\n"
             "The printed characters of a text page as (text, x0, x1, top, bottom) tuples: "
             "pdf_pdfium.page_chars' loop. `text` is the page's text (one character per text-page "
             "character) or None to ask PDFium for each; `descent_of(font)` is pdfminer's descent of "
             "a font; `functions` the addresses of FPDFText_GetTextObject, FPDFText_GetUnicode, "
             "FPDFText_IsGenerated, FPDFText_GetCharOrigin, FPDFFont_GetGlyphWidth, "
             "FPDFPageObj_GetMatrix, FPDFTextObj_GetFontSize and FPDFTextObj_GetFont; `unavailable` "
             "the exception raised for an unmapped glyph or a glyph without a width.");

static PyObject *page_chars(PyObject *self, PyObject *args) {
    PyObject *textpage_arg, *text, *descent_of, *functions, *unavailable;
    int count;
    double height;
    if (!PyArg_ParseTuple(args, "OidOOO!O", &textpage_arg, &count, &height, &text, &descent_of, &PyTuple_Type,
                          &functions, &unavailable))
        return NULL;
    Descents known = {{NULL}, {0.0}, 0, descent_of};
    void *textpage = address_of(textpage_arg), *fn[8];
    if (PyErr_Occurred() || function_addresses(functions, 8, fn) < 0) return NULL;
    get_text_object_fn get_text_object = (get_text_object_fn)fn[0];
    get_unicode_fn get_unicode = (get_unicode_fn)fn[1];
    is_generated_fn is_generated = (is_generated_fn)fn[2];
    get_char_origin_fn get_char_origin = (get_char_origin_fn)fn[3];
    glyph_width_fn glyph_width = (glyph_width_fn)fn[4];
    ObjectReader reader = {(object_matrix_fn)fn[5], (font_size_fn)fn[6], (text_font_fn)fn[7], {0}, 0.0f};
    int have_text = text != Py_None;
    if (have_text && (!PyUnicode_Check(text) || PyUnicode_GET_LENGTH(text) < count)) {
        PyErr_SetString(PyExc_ValueError, "text shorter than the text page");
        return NULL;
    }
    Advances advances = {NULL, 0};
    CharStrings strings = {NULL, NULL, 0};
    PyObject *chars = NULL;
    if (advances_init(&advances, count) < 0 || char_strings_init(&strings, count) < 0) goto fail;
    chars = PyList_New(0);
    if (chars == NULL) goto fail;
    void *last_key = NULL;
    TextObject obj = {NULL, 0.0, 0.0, 0.0};
    for (int i = 0; i < count; i++) {
        void *key = get_text_object(textpage, i);
        if (key == NULL) continue;
        if (key != last_key) {
            if (text_object(&reader, &known, unavailable, key, &obj) < 0) goto fail;
            last_key = key;
        }
        unsigned int code = have_text ? (unsigned int)PyUnicode_READ_CHAR(text, i) : get_unicode(textpage, i);
        if (maybe_generated(code) && is_generated(textpage, i)) continue;
        if (unmapped(code)) {
            PyErr_SetString(unavailable, "a glyph without a Unicode mapping");
            goto fail;
        }
        float width = 0.0f;
        if (obj.font == NULL || !advance_of(&advances, glyph_width, obj.font, code, &width)) {
            PyErr_SetString(unavailable, "a glyph without a width");
            goto fail;
        }
        double advance = (double)width / 1000.0;
        double origin_x = 0.0, origin_y = 0.0;
        get_char_origin(textpage, i, &origin_x, &origin_y);
        double x0 = origin_x;
        double bottom = height - origin_y - obj.descent;
        PyObject *ch = char_string(&strings, code);
        if (ch == NULL) goto fail;
        if (append_char(chars, ch, x0, x0 + advance * obj.scale, bottom - obj.glyph_height, bottom) == NULL)
            goto fail;
    }
    PyMem_Free(advances.slots);
    char_strings_free(&strings);
    return chars;
fail:
    PyMem_Free(advances.slots);
    char_strings_free(&strings);
    Py_XDECREF(chars);
    return NULL;
}

PyDoc_STRVAR(page_objects_doc,
             "page_objects(page, functions, text_type)\n"
             "The page's objects in one pass: the distinct fonts of its text objects (their addresses, "
             "in the order first met), and the (type, address) of every other object, in page order: "
             "pdf_pdfium.page_objects' loop. `functions` are the addresses of FPDFPage_CountObjects, "
             "FPDFPage_GetObject, FPDFPageObj_GetType and FPDFTextObj_GetFont; `text_type` is "
             "FPDF_PAGEOBJ_TEXT.");

static PyObject *page_objects(PyObject *self, PyObject *args) {
    PyObject *page_arg, *functions;
    int text_type;
    if (!PyArg_ParseTuple(args, "OO!i", &page_arg, &PyTuple_Type, &functions, &text_type)) return NULL;
    void *page = address_of(page_arg), *fn[4];
    if (PyErr_Occurred() || function_addresses(functions, 4, fn) < 0) return NULL;
    count_objects_fn count_objects = (count_objects_fn)fn[0];
    get_object_fn get_object = (get_object_fn)fn[1];
    object_type_fn object_type = (object_type_fn)fn[2];
    text_font_fn text_font = (text_font_fn)fn[3];
    PyObject *fonts = PyList_New(0);
    PyObject *others = PyList_New(0);
    void *last_font = NULL;
    if (fonts == NULL || others == NULL) goto fail;
    int count = count_objects(page);
    for (int i = 0; i < count; i++) {
        void *obj = get_object(page, i);
        int kind = object_type(obj);
        if (kind == text_type) {
            void *font = text_font(obj);
            if (font == last_font && PyList_GET_SIZE(fonts) > 0) continue;
            last_font = font;
            PyObject *handle = PyLong_FromVoidPtr(font);
            int known = handle == NULL ? -1 : PySequence_Contains(fonts, handle);
            int failed = known < 0 || (!known && PyList_Append(fonts, handle) < 0);
            Py_XDECREF(handle);
            if (failed) goto fail;
        } else {
            PyObject *handle = PyLong_FromVoidPtr(obj);
            PyObject *value = handle == NULL ? NULL : Py_BuildValue("(iN)", kind, handle);
            int failed = value == NULL || PyList_Append(others, value) < 0;
            Py_XDECREF(value);
            if (failed) goto fail;
        }
    }
    return Py_BuildValue("(NN)", fonts, others);
fail:
    Py_XDECREF(fonts);
    Py_XDECREF(others);
    return NULL;
}

/* One char of extract_words: its fields as given and as doubles, its line and its place. */
typedef struct {
    PyObject *text, *x0, *x1, *top, *bottom;
    double x0_value, x1_value, top_value, bottom_value;
    Py_ssize_t line, index;
} WordChar;

static int by_line_x0_index(const void *left, const void *right) {
    const WordChar *a = left, *b = right;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->x0_value != b->x0_value) return a->x0_value < b->x0_value ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

static int by_value(const void *left, const void *right) {
    double a = *(const double *)left, b = *(const double *)right;
    return a < b ? -1 : (a > b);
}

/* The position of `value` among the sorted distinct `values`. */
static Py_ssize_t position(const double *values, Py_ssize_t count, double value) {
    Py_ssize_t low = 0, high = count - 1;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        if (values[middle] < value)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* Whether `text` holds a character the str.translate table `ligatures` maps (1), or not (0); -1 on
 * error. Looked up character by character: PyUnicode_MAX_CHAR_VALUE bounds the string's storage
 * kind (0xFFFF for any CJK text), not its characters, and translating every CJK word cost more than
 * grouping the words. A table that is not a dict is always applied. */
static int has_ligature(PyObject *text, PyObject *ligatures) {
    if (!PyDict_Check(ligatures)) return 1;
    if (PyDict_GET_SIZE(ligatures) == 0) return 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t k = 0, n = PyUnicode_GET_LENGTH(text); k < n; k++) {
        PyObject *key = PyLong_FromUnsignedLong(PyUnicode_READ(kind, data, k));
        if (key == NULL) return -1;
        int found = PyDict_Contains(ligatures, key);
        Py_DECREF(key);
        if (found) return found;
    }
    return 0;
}

/* pdf._merge: the chars' text (ligatures expanded through `ligatures`, a str.translate table) and
 * the min/max of their boxes, the first of equal values kept as min() and max() keep it. */
static int merge(PyObject *words, WordChar **run, Py_ssize_t length, PyObject *ligatures) {
    PyObject *text;
    WordChar *first = run[0];
    PyObject *x0 = first->x0, *x1 = first->x1, *top = first->top, *bottom = first->bottom;
    double x0_value = first->x0_value, x1_value = first->x1_value;
    double top_value = first->top_value, bottom_value = first->bottom_value;
    if (length == 1) {
        text = first->text;
        Py_INCREF(text);
    } else {
        Py_ssize_t total = 0;
        Py_UCS4 widest = 0;
        for (Py_ssize_t k = 0; k < length; k++) {
            WordChar *c = run[k];
            total += PyUnicode_GET_LENGTH(c->text);
            if (PyUnicode_MAX_CHAR_VALUE(c->text) > widest) widest = PyUnicode_MAX_CHAR_VALUE(c->text);
            if (c->x0_value < x0_value) x0_value = c->x0_value, x0 = c->x0;
            if (c->x1_value > x1_value) x1_value = c->x1_value, x1 = c->x1;
            if (c->top_value < top_value) top_value = c->top_value, top = c->top;
            if (c->bottom_value > bottom_value) bottom_value = c->bottom_value, bottom = c->bottom;
        }
        /* The chars' texts joined: the widest storage of the parts is the joined text's own. */
        text = PyUnicode_New(total, widest);
        if (text == NULL) return -1;
        for (Py_ssize_t k = 0, at = 0; k < length; k++) {
            PyObject *part = run[k]->text;
            if (PyUnicode_CopyCharacters(text, at, part, 0, PyUnicode_GET_LENGTH(part)) < 0) {
                Py_DECREF(text);
                return -1;
            }
            at += PyUnicode_GET_LENGTH(part);
        }
    }
    int expand = has_ligature(text, ligatures);
    if (expand < 0) {
        Py_DECREF(text);
        return -1;
    }
    if (expand) {
        PyObject *translated = PyObject_CallMethod(text, "translate", "O", ligatures);
        Py_DECREF(text);
        if (translated == NULL) return -1;
        text = translated;
    }
    PyObject *word = PyTuple_Pack(5, text, x0, x1, top, bottom);
    Py_DECREF(text);
    if (word == NULL) return -1;
    int failed = PyList_Append(words, word);
    Py_DECREF(word);
    return failed;
}

static int is_space(PyObject *text) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (length == 0) return 0;
    for (Py_ssize_t k = 0; k < length; k++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, k))) return 0;
    return 1;
}

/* The fields of char tuple `c` into `w`; -1 with TypeError for anything but a 5-tuple with a str. */
static int read_char(PyObject *c, Py_ssize_t index, WordChar *w) {
    if (!PyTuple_Check(c) || PyTuple_GET_SIZE(c) != 5 || !PyUnicode_Check(PyTuple_GET_ITEM(c, 0))) {
        PyErr_SetString(PyExc_TypeError, "a char is a (text, x0, x1, top, bottom) tuple");
        return -1;
    }
    w->text = PyTuple_GET_ITEM(c, 0);
    w->x0 = PyTuple_GET_ITEM(c, 1);
    w->x1 = PyTuple_GET_ITEM(c, 2);
    w->top = PyTuple_GET_ITEM(c, 3);
    w->bottom = PyTuple_GET_ITEM(c, 4);
    w->x0_value = PyFloat_AsDouble(w->x0);
    w->x1_value = PyFloat_AsDouble(w->x1);
    w->top_value = PyFloat_AsDouble(w->top);
    w->bottom_value = PyFloat_AsDouble(w->bottom);
    w->index = index;
    return PyErr_Occurred() ? -1 : 0;
}

/* Each value's cluster among the sorted distinct `values` (pdf._clusters): `values` (count of them)
 * are sorted and made distinct in place, `lines` receives each distinct value's cluster; returns how
 * many distinct values there are. */
static Py_ssize_t clusters(double *values, Py_ssize_t count, double tolerance, Py_ssize_t *lines) {
    qsort(values, count, sizeof(double), by_value);
    Py_ssize_t distinct = 0;
    for (Py_ssize_t i = 0; i < count; i++)
        if (distinct == 0 || values[i] != values[distinct - 1]) values[distinct++] = values[i];
    for (Py_ssize_t i = 0; i < distinct; i++)
        lines[i] = i == 0 ? 0 : lines[i - 1] + (values[i] > values[i - 1] + tolerance);
    return distinct;
}

/* pdf.extract_words on `count` read chars (reordered in place), the words appended to `words`;
 * `scratch` holds `count` doubles, `lines` and `run` `count` entries each. */
static int group_words(WordChar *items, Py_ssize_t count, double x_tolerance, double y_tolerance,
                       PyObject *ligatures, double *scratch, Py_ssize_t *lines, WordChar **run,
                       PyObject *words) {
    for (Py_ssize_t i = 0; i < count; i++) scratch[i] = items[i].top_value;
    Py_ssize_t distinct = clusters(scratch, count, y_tolerance, lines);
    for (Py_ssize_t i = 0; i < count; i++)
        items[i].line = lines[position(scratch, distinct, items[i].top_value)];
    qsort(items, count, sizeof(WordChar), by_line_x0_index);
    Py_ssize_t length = 0, line = -1;
    for (Py_ssize_t i = 0; i < count; i++) {
        WordChar *c = &items[i];
        if (c->line != line) {
            if (length && merge(words, run, length, ligatures) < 0) return -1;
            length = 0;
            line = c->line;
        }
        if (PyUnicode_GET_LENGTH(c->text) == 0 || is_space(c->text)) {
            if (length && merge(words, run, length, ligatures) < 0) return -1;
            length = 0;
            if (PyUnicode_GET_LENGTH(c->text) == 0 && merge(words, &c, 1, ligatures) < 0) return -1;
        } else if (length == 0) {
            run[length++] = c;
        } else {
            WordChar *prev = run[length - 1];
            if (c->x0_value < prev->x0_value || c->x0_value > prev->x1_value + x_tolerance ||
                fabs(c->top_value - prev->top_value) > y_tolerance) {
                if (merge(words, run, length, ligatures) < 0) return -1;
                length = 0;
            }
            run[length++] = c;
        }
    }
    return length && merge(words, run, length, ligatures) < 0 ? -1 : 0;
}

/* Scratch space for `count` chars. */
typedef struct {
    WordChar *items;
    WordChar **run;
    double *values;
    Py_ssize_t *lines;
} Scratch;

static int scratch_init(Scratch *scratch, Py_ssize_t count) {
    size_t n = count ? count : 1;
    scratch->items = PyMem_Calloc(n, sizeof(WordChar));
    scratch->run = PyMem_Calloc(n, sizeof(WordChar *));
    scratch->values = PyMem_Calloc(n, sizeof(double));
    scratch->lines = PyMem_Calloc(n, sizeof(Py_ssize_t));
    if (scratch->items == NULL || scratch->run == NULL || scratch->values == NULL || scratch->lines == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void scratch_free(Scratch *scratch) {
    PyMem_Free(scratch->items);
    PyMem_Free(scratch->run);
    PyMem_Free(scratch->values);
    PyMem_Free(scratch->lines);
}

PyDoc_STRVAR(extract_words_doc,
             "extract_words(chars, x_tolerance, y_tolerance, ligatures)\n"
             "pdf.extract_words in C: (text, x0, x1, top, bottom) chars grouped into words the way "
             "pdfplumber groups them; `ligatures` is the str.translate table of pdfplumber's "
             "ligature expansions.");

static PyObject *extract_words(PyObject *self, PyObject *args) {
    PyObject *chars_arg, *ligatures;
    double x_tolerance, y_tolerance;
    if (!PyArg_ParseTuple(args, "OddO", &chars_arg, &x_tolerance, &y_tolerance, &ligatures)) return NULL;
    PyObject *chars = PySequence_Fast(chars_arg, "chars must be a sequence");
    if (chars == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(chars);
    Scratch scratch;
    PyObject *words = PyList_New(0);
    if (scratch_init(&scratch, count) < 0 || words == NULL) goto fail;
    for (Py_ssize_t i = 0; i < count; i++)
        if (read_char(PySequence_Fast_GET_ITEM(chars, i), i, &scratch.items[i]) < 0) goto fail;
    if (group_words(scratch.items, count, x_tolerance, y_tolerance, ligatures, scratch.values, scratch.lines,
                    scratch.run, words) < 0)
        goto fail;
    goto done;
fail:
    Py_CLEAR(words);
done:
    scratch_free(&scratch);
    Py_DECREF(chars);
    return words;
}

/* pdf.extract_text on `count` read chars: words (tolerance 3), then lines by top, a space between
 * words and a newline between lines. */
static PyObject *text_of(WordChar *items, Py_ssize_t count, PyObject *ligatures, Scratch *scratch) {
    if (count == 1) {
        if (is_space(items[0].text)) return PyUnicode_New(0, 0);
        int expand = has_ligature(items[0].text, ligatures);
        if (expand <= 0) return expand < 0 ? NULL : Py_NewRef(items[0].text);
        return PyObject_CallMethod(items[0].text, "translate", "O", ligatures);
    }
    PyObject *words = PyList_New(0);
    if (words == NULL) return NULL;
    if (group_words(items, count, 3.0, 3.0, ligatures, scratch->values, scratch->lines, scratch->run, words) <
        0) {
        Py_DECREF(words);
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(words);
    PyObject *out = NULL;
    if (n <= 1) {
        out = n ? Py_NewRef(PyTuple_GET_ITEM(PyList_GET_ITEM(words, 0), 0)) : PyUnicode_New(0, 0);
        Py_DECREF(words);
        return out;
    }
    /* Each word's line: the cluster of its top among the words' distinct tops. */
    for (Py_ssize_t k = 0; k < n; k++) {
        scratch->values[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(PyList_GET_ITEM(words, k), 3));
        if (PyErr_Occurred()) {
            Py_DECREF(words);
            return NULL;
        }
    }
    double *tops = PyMem_Calloc(n, sizeof(double));
    Py_ssize_t *order = PyMem_Calloc(n, sizeof(Py_ssize_t));
    PyObject *parts = PyList_New(0);
    if (tops == NULL || order == NULL || parts == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    memcpy(tops, scratch->values, n * sizeof(double));
    Py_ssize_t distinct = clusters(scratch->values, n, 3.0, scratch->lines);
    Py_ssize_t last_line = scratch->lines[distinct - 1];
    /* Words line by line, each line's words in word order (a stable pass per line). */
    Py_ssize_t placed = 0;
    for (Py_ssize_t line = 0; line <= last_line; line++) {
        Py_ssize_t start = placed;
        for (Py_ssize_t k = 0; k < n; k++)
            if (scratch->lines[position(scratch->values, distinct, tops[k])] == line) order[placed++] = k;
        if (placed == start) continue;
        PyObject *texts = PyList_New(placed - start);
        if (texts == NULL) goto done;
        for (Py_ssize_t k = start; k < placed; k++)
            PyList_SET_ITEM(texts, k - start,
                            Py_NewRef(PyTuple_GET_ITEM(PyList_GET_ITEM(words, order[k]), 0)));
        PyObject *space = PyUnicode_FromString(" ");
        PyObject *joined = space == NULL ? NULL : PyUnicode_Join(space, texts);
        Py_XDECREF(space);
        Py_DECREF(texts);
        if (joined == NULL || PyList_Append(parts, joined) < 0) {
            Py_XDECREF(joined);
            goto done;
        }
        Py_DECREF(joined);
    }
    PyObject *newline = PyUnicode_FromString("\n");
    out = newline == NULL ? NULL : PyUnicode_Join(newline, parts);
    Py_XDECREF(newline);
done:
    PyMem_Free(tops);
    PyMem_Free(order);
    Py_XDECREF(parts);
    Py_DECREF(words);
    return out;
}

PyDoc_STRVAR(cell_texts_doc,
             "cell_texts(chars, rows, ligatures)\n"
             "pdf.CellText for one table in C: for each row (bbox, cells) the text of each cell (None "
             "for a missing cell, \"\" for an empty one) from the chars whose middle lies in the cell, "
             "in page order, as pdfplumber's Table.extract gives it.");

static PyObject *cell_texts(PyObject *self, PyObject *args) {
    PyObject *chars_arg, *rows_arg, *ligatures;
    if (!PyArg_ParseTuple(args, "OOO", &chars_arg, &rows_arg, &ligatures)) return NULL;
    PyObject *chars = PySequence_Fast(chars_arg, "chars must be a sequence");
    if (chars == NULL) return NULL;
    PyObject *rows = PySequence_Fast(rows_arg, "rows must be a sequence");
    if (rows == NULL) {
        Py_DECREF(chars);
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(chars);
    Scratch scratch;
    WordChar *all = PyMem_Calloc(count ? count : 1, sizeof(WordChar));
    double *v_mid = PyMem_Calloc(count ? count : 1, sizeof(double));
    double *h_mid = PyMem_Calloc(count ? count : 1, sizeof(double));
    Py_ssize_t *band = PyMem_Calloc(count ? count : 1, sizeof(Py_ssize_t));
    PyObject *out = PyList_New(0);
    if (scratch_init(&scratch, count) < 0 || all == NULL || v_mid == NULL || h_mid == NULL || band == NULL ||
        out == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (read_char(PySequence_Fast_GET_ITEM(chars, i), i, &all[i]) < 0) goto fail;
        v_mid[i] = (all[i].top_value + all[i].bottom_value) / 2;
        h_mid[i] = (all[i].x0_value + all[i].x1_value) / 2;
    }
    for (Py_ssize_t r = 0; r < PySequence_Fast_GET_SIZE(rows); r++) {
        PyObject *bbox, *cells;
        double x0, top, x1, bottom;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(rows, r), "OO", &bbox, &cells) ||
            !PyArg_ParseTuple(bbox, "dddd", &x0, &top, &x1, &bottom))
            goto fail;
        Py_ssize_t banded = 0;
        for (Py_ssize_t i = 0; i < count; i++)
            if (top <= v_mid[i] && v_mid[i] < bottom && x0 <= h_mid[i] && h_mid[i] < x1) band[banded++] = i;
        PyObject *cell_list = PySequence_Fast(cells, "cells must be a sequence");
        if (cell_list == NULL) goto fail;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(cell_list);
        PyObject *texts = PyList_New(n);
        if (texts == NULL || PyList_Append(out, texts) < 0) {
            Py_XDECREF(texts);
            Py_DECREF(cell_list);
            goto fail;
        }
        Py_DECREF(texts);
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *cell = PySequence_Fast_GET_ITEM(cell_list, k), *text;
            double cx0, ctop, cx1, cbottom;
            if (cell == Py_None) {
                text = Py_NewRef(Py_None);
            } else if (!PyArg_ParseTuple(cell, "dddd", &cx0, &ctop, &cx1, &cbottom)) {
                Py_DECREF(cell_list);
                goto fail;
            } else {
                Py_ssize_t inside = 0;
                for (Py_ssize_t b = 0; b < banded; b++) {
                    Py_ssize_t i = band[b];
                    if (cx0 <= h_mid[i] && h_mid[i] < cx1 && ctop <= v_mid[i] && v_mid[i] < cbottom)
                        scratch.items[inside++] = all[i];
                }
                text = inside ? text_of(scratch.items, inside, ligatures, &scratch) : PyUnicode_New(0, 0);
            }
            if (text == NULL) {
                Py_DECREF(cell_list);
                goto fail;
            }
            PyList_SET_ITEM(texts, k, text);
        }
        Py_DECREF(cell_list);
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    scratch_free(&scratch);
    PyMem_Free(all);
    PyMem_Free(v_mid);
    PyMem_Free(h_mid);
    PyMem_Free(band);
    Py_DECREF(chars);
    Py_DECREF(rows);
    return out;
}

PyDoc_STRVAR(path_ops_doc,
             "path_ops(path, functions, kinds, unavailable)\n"
             "The path's segments as pdfminer's operators, (op, (x, y)) with op one of m, l, c, h and "
             "the point in user space: pdf_pdfium._path_ops' loop. `functions` are the addresses of "
             "FPDFPageObj_GetMatrix, FPDFPath_CountSegments, FPDFPath_GetPathSegment, "
             "FPDFPathSegment_GetType, FPDFPathSegment_GetPoint and FPDFPathSegment_GetClose; `kinds` "
             "the segment types moveto, lineto and bezierto; an unknown segment raises `unavailable`.");

static int append_op(PyObject *ops, const char *op, double x, double y) {
    PyObject *item = Py_BuildValue("(s(dd))", op, x, y);
    if (item == NULL) return -1;
    int failed = PyList_Append(ops, item);
    Py_DECREF(item);
    return failed;
}

static PyObject *path_ops(PyObject *self, PyObject *args) {
    PyObject *path_arg, *functions, *unavailable;
    int moveto, lineto, bezierto;
    if (!PyArg_ParseTuple(args, "OO!(iii)O", &path_arg, &PyTuple_Type, &functions, &moveto, &lineto,
                          &bezierto, &unavailable))
        return NULL;
    void *path = address_of(path_arg), *fn[6];
    if (PyErr_Occurred() || function_addresses(functions, 6, fn) < 0) return NULL;
    object_matrix_fn object_matrix = (object_matrix_fn)fn[0];
    count_segments_fn count_segments = (count_segments_fn)fn[1];
    get_segment_fn get_segment = (get_segment_fn)fn[2];
    segment_type_fn segment_type = (segment_type_fn)fn[3];
    segment_point_fn segment_point = (segment_point_fn)fn[4];
    segment_close_fn segment_close = (segment_close_fn)fn[5];
    float matrix[6] = {0, 0, 0, 0, 0, 0};
    object_matrix(path, matrix);
    double a = matrix[0], b = matrix[1], c = matrix[2], d = matrix[3], e = matrix[4], f = matrix[5];
    PyObject *ops = PyList_New(0);
    if (ops == NULL) return NULL;
    double start_x = 0.0, start_y = 0.0;
    long bezier = 0;
    int count = count_segments(path);
    for (int i = 0; i < count; i++) {
        void *segment = get_segment(path, i);
        int kind = segment_type(segment);
        float point_x = 0.0f, point_y = 0.0f;
        segment_point(segment, &point_x, &point_y);
        double x = point_x, y = point_y;
        double px = a * x + c * y + e, py = b * x + d * y + f;
        int failed = 0;
        if (kind == moveto) {
            failed = append_op(ops, "m", px, py);
            start_x = px, start_y = py;
            bezier = 0;
        } else if (kind == lineto) {
            failed = append_op(ops, "l", px, py);
        } else if (kind == bezierto) {
            if (++bezier % 3 == 0) failed = append_op(ops, "c", px, py);
        } else {
            PyErr_SetString(unavailable, "unknown path segment");
            failed = 1;
        }
        if (!failed && segment_close(segment)) failed = append_op(ops, "h", start_x, start_y);
        if (failed) {
            Py_DECREF(ops);
            return NULL;
        }
    }
    return ops;
}

/* ---- Tables: pdf._intersections, pdf._cells and pdf._tables on plain arrays. ---- */

typedef struct {
    double x0, top, x1, bottom;
} Box;

typedef struct {
    double x, y;
    Py_ssize_t v_id, h_id;
} Crossing;

/* An intersection: its point and the ids of the distinct vertical and horizontal edge boxes through it
 * (sorted), as slices of the shared id arrays. */
typedef struct {
    double x, y;
    Py_ssize_t v_start, v_count, h_start, h_count;
    Py_ssize_t in_row; /* its place in its row (same y, by x) */
} Point;

typedef struct {
    Point *points;
    Py_ssize_t count;
    Py_ssize_t *v_ids, *h_ids;
    Py_ssize_t *by_row; /* point indexes sorted by (y, x) */
} Grid;

static int by_crossing(const void *left, const void *right) {
    const Crossing *a = left, *b = right;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    if (a->v_id != b->v_id) return a->v_id < b->v_id ? -1 : 1;
    return a->h_id < b->h_id ? -1 : (a->h_id > b->h_id);
}

static int by_id(const void *left, const void *right) {
    Py_ssize_t a = *(const Py_ssize_t *)left, b = *(const Py_ssize_t *)right;
    return a < b ? -1 : (a > b);
}

static const Point *sorted_points; /* for by_row_order: qsort has no context argument (the GIL, held
                                      throughout, keeps one caller at a time) */

static int by_row_order(const void *left, const void *right) {
    const Point *a = &sorted_points[*(const Py_ssize_t *)left],
                *b = &sorted_points[*(const Py_ssize_t *)right];
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    return 0;
}

static int share(const Py_ssize_t *a, Py_ssize_t a_count, const Py_ssize_t *b, Py_ssize_t b_count) {
    Py_ssize_t i = 0, j = 0;
    while (i < a_count && j < b_count) {
        if (a[i] == b[j]) return 1;
        if (a[i] < b[j])
            i++;
        else
            j++;
    }
    return 0;
}

/* pdf._cells' connects: on one vertical edge, or on one horizontal edge. */
static int connects(const Grid *grid, const Point *p, const Point *q) {
    return (p->x == q->x &&
            share(grid->v_ids + p->v_start, p->v_count, grid->v_ids + q->v_start, q->v_count)) ||
           (p->y == q->y &&
            share(grid->h_ids + p->h_start, p->h_count, grid->h_ids + q->h_start, q->h_count));
}

static const Point *point_at(const Grid *grid, double x, double y) {
    Py_ssize_t low = 0, high = grid->count;
    while (low < high) {
        Py_ssize_t middle = (low + high) / 2;
        const Point *p = &grid->points[middle];
        if (p->x < x || (p->x == x && p->y < y))
            low = middle + 1;
        else
            high = middle;
    }
    if (low < grid->count && grid->points[low].x == x && grid->points[low].y == y) return &grid->points[low];
    return NULL;
}

/* pdf._intersections: every point where a vertical edge box meets a horizontal one within the
 * tolerances, with the ids of the boxes through it. */
static int build_grid(const Box *v, Py_ssize_t v_count, const Box *h, Py_ssize_t h_count, double x_tolerance,
                      double y_tolerance, Grid *grid) {
    Py_ssize_t found = 0, room = 16;
    Crossing *crossings = PyMem_Malloc(room * sizeof(Crossing));
    if (crossings == NULL) goto nomemory;
    for (Py_ssize_t i = 0; i < v_count; i++) {
        for (Py_ssize_t j = 0; j < h_count; j++) {
            if (v[i].top <= h[j].top + y_tolerance && v[i].bottom >= h[j].top - y_tolerance &&
                h[j].x0 - x_tolerance <= v[i].x0 && v[i].x0 <= h[j].x1 + x_tolerance) {
                if (found == room) {
                    room *= 2;
                    Crossing *grown = PyMem_Realloc(crossings, room * sizeof(Crossing));
                    if (grown == NULL) goto nomemory;
                    crossings = grown;
                }
                crossings[found++] = (Crossing){v[i].x0, h[j].top, i, j};
            }
        }
    }
    qsort(crossings, found, sizeof(Crossing), by_crossing);
    grid->points = PyMem_Calloc(found ? found : 1, sizeof(Point));
    grid->v_ids = PyMem_Calloc(found ? found : 1, sizeof(Py_ssize_t));
    grid->h_ids = PyMem_Calloc(found ? found : 1, sizeof(Py_ssize_t));
    grid->by_row = PyMem_Calloc(found ? found : 1, sizeof(Py_ssize_t));
    if (grid->points == NULL || grid->v_ids == NULL || grid->h_ids == NULL || grid->by_row == NULL)
        goto nomemory;
    grid->count = 0;
    Py_ssize_t v_used = 0, h_used = 0;
    for (Py_ssize_t k = 0; k < found;) {
        Point *p = &grid->points[grid->count++];
        p->x = crossings[k].x;
        p->y = crossings[k].y;
        p->v_start = v_used;
        p->h_start = h_used;
        Py_ssize_t end = k;
        while (end < found && crossings[end].x == p->x && crossings[end].y == p->y) end++;
        for (Py_ssize_t m = k; m < end; m++) {
            if (v_used == p->v_start || grid->v_ids[v_used - 1] != crossings[m].v_id)
                grid->v_ids[v_used++] = crossings[m].v_id;
            grid->h_ids[h_used++] = crossings[m].h_id;
        }
        qsort(grid->h_ids + p->h_start, h_used - p->h_start, sizeof(Py_ssize_t), by_id);
        Py_ssize_t distinct = p->h_start;
        for (Py_ssize_t m = p->h_start; m < h_used; m++)
            if (m == p->h_start || grid->h_ids[m] != grid->h_ids[distinct - 1])
                grid->h_ids[distinct++] = grid->h_ids[m];
        h_used = distinct;
        p->v_count = v_used - p->v_start;
        p->h_count = h_used - p->h_start;
        k = end;
    }
    PyMem_Free(crossings);
    for (Py_ssize_t k = 0; k < grid->count; k++) grid->by_row[k] = k;
    sorted_points = grid->points;
    qsort(grid->by_row, grid->count, sizeof(Py_ssize_t), by_row_order);
    for (Py_ssize_t k = 0; k < grid->count; k++) grid->points[grid->by_row[k]].in_row = k;
    return 0;
nomemory:
    PyMem_Free(crossings);
    PyErr_NoMemory();
    return -1;
}

/* pdf._cells: for each point in order, the smallest cell whose corners are points joined by edges. */
static Py_ssize_t find_cells(const Grid *grid, Box *cells) {
    Py_ssize_t count = 0;
    for (Py_ssize_t k = 0; k + 1 < grid->count; k++) {
        const Point *pt = &grid->points[k];
        int found = 0;
        for (Py_ssize_t b = k + 1; !found && b < grid->count && grid->points[b].x == pt->x; b++) {
            const Point *below = &grid->points[b];
            if (!connects(grid, pt, below)) continue;
            for (Py_ssize_t r = pt->in_row + 1; r < grid->count; r++) {
                const Point *right = &grid->points[grid->by_row[r]];
                if (right->y != pt->y) break;
                if (!connects(grid, pt, right)) continue;
                const Point *corner = point_at(grid, right->x, below->y);
                if (corner != NULL && connects(grid, corner, right) && connects(grid, corner, below)) {
                    cells[count++] = (Box){pt->x, pt->y, corner->x, corner->y};
                    found = 1;
                    break;
                }
            }
        }
    }
    return count;
}

typedef struct {
    double x, y;
    Py_ssize_t cell;
} Corner;

static int by_corner(const void *left, const void *right) {
    const Corner *a = left, *b = right;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return a->cell < b->cell ? -1 : (a->cell > b->cell);
}

static Py_ssize_t root_of(Py_ssize_t *parent, Py_ssize_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

typedef struct {
    double top, x0;
    Py_ssize_t first; /* the group's lowest cell index: Python's creation order */
    Py_ssize_t size, root;
} Group;

static int by_group(const void *left, const void *right) {
    const Group *a = left, *b = right;
    if (a->top != b->top) return a->top < b->top ? -1 : 1;
    if (a->x0 != b->x0) return a->x0 < b->x0 ? -1 : 1;
    return a->first < b->first ? -1 : (a->first > b->first);
}

static Box *read_boxes(PyObject *sequence, Py_ssize_t *count) {
    PyObject *items = PySequence_Fast(sequence, "boxes must be a sequence");
    if (items == NULL) return NULL;
    *count = PySequence_Fast_GET_SIZE(items);
    Box *boxes = PyMem_Calloc(*count ? *count : 1, sizeof(Box));
    if (boxes == NULL) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < *count; i++) {
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(items, i), "dddd", &boxes[i].x0, &boxes[i].top,
                              &boxes[i].x1, &boxes[i].bottom)) {
            PyMem_Free(boxes);
            Py_DECREF(items);
            return NULL;
        }
    }
    Py_DECREF(items);
    return boxes;
}

static PyObject *box_tuple(const Box *box) {
    return Py_BuildValue("(dddd)", box->x0, box->top, box->x1, box->bottom);
}

/* The smallest box around `count` boxes, the first of equal values kept (min and max). */
static Box around(const Box *const *boxes, Py_ssize_t count) {
    Box out = *boxes[0];
    for (Py_ssize_t i = 1; i < count; i++) {
        if (boxes[i]->x0 < out.x0) out.x0 = boxes[i]->x0;
        if (boxes[i]->top < out.top) out.top = boxes[i]->top;
        if (boxes[i]->x1 > out.x1) out.x1 = boxes[i]->x1;
        if (boxes[i]->bottom > out.bottom) out.bottom = boxes[i]->bottom;
    }
    return out;
}

static const Box *sorting_cells; /* for by_top_x0, as sorted_points */

static int by_top_x0(const void *left, const void *right) {
    Py_ssize_t i = *(const Py_ssize_t *)left, j = *(const Py_ssize_t *)right;
    const Box *a = &sorting_cells[i], *b = &sorting_cells[j];
    if (a->top != b->top) return a->top < b->top ? -1 : 1;
    if (a->x0 != b->x0) return a->x0 < b->x0 ? -1 : 1;
    return i < j ? -1 : (i > j);
}

/* One table as (bbox, cells, rows), rows as pdfplumber's `Table.rows` makes them: the cells grouped
 * by top (sorted by top, then x0), each row a slot per distinct x0 of the table holding the last cell
 * of that x0 (a dict's last write) or None, with the bbox of its cells. */
static PyObject *table_object(const Box *cells, Py_ssize_t count, Py_ssize_t *order) {
    const Box **all = PyMem_Calloc(count, sizeof(Box *));
    double *xs = PyMem_Calloc(count, sizeof(double));
    const Box **slots = PyMem_Calloc(count, sizeof(Box *));
    const Box **present = PyMem_Calloc(count, sizeof(Box *));
    PyObject *cell_list = PyList_New(count), *rows = PyList_New(0), *result = NULL;
    if (all == NULL || xs == NULL || slots == NULL || present == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (cell_list == NULL || rows == NULL) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *cell = box_tuple(&cells[i]);
        if (cell == NULL) goto done;
        PyList_SET_ITEM(cell_list, i, cell);
        all[i] = &cells[i];
        xs[i] = cells[i].x0;
        order[i] = i;
    }
    qsort(xs, count, sizeof(double), by_value);
    Py_ssize_t columns = 0;
    for (Py_ssize_t i = 0; i < count; i++)
        if (columns == 0 || xs[i] != xs[columns - 1]) xs[columns++] = xs[i];
    sorting_cells = cells;
    qsort(order, count, sizeof(Py_ssize_t), by_top_x0);
    for (Py_ssize_t start = 0; start < count;) {
        Py_ssize_t end = start;
        while (end < count && cells[order[end]].top == cells[order[start]].top) end++;
        for (Py_ssize_t c = 0; c < columns; c++) slots[c] = NULL;
        for (Py_ssize_t k = start; k < end; k++) {
            const Box *cell = &cells[order[k]];
            slots[position(xs, columns, cell->x0)] = cell;
        }
        PyObject *row_cells = PyList_New(columns);
        if (row_cells == NULL) goto done;
        Py_ssize_t filled = 0;
        for (Py_ssize_t c = 0; c < columns; c++) {
            PyObject *item = slots[c] == NULL ? Py_NewRef(Py_None) : box_tuple(slots[c]);
            if (item == NULL) {
                Py_DECREF(row_cells);
                goto done;
            }
            PyList_SET_ITEM(row_cells, c, item);
            if (slots[c] != NULL) present[filled++] = slots[c];
        }
        Box bbox = around(present, filled);
        PyObject *row = Py_BuildValue("(NN)", box_tuple(&bbox), row_cells);
        if (row == NULL || PyList_Append(rows, row) < 0) {
            Py_XDECREF(row);
            goto done;
        }
        Py_DECREF(row);
        start = end;
    }
    Box bbox = around(all, count);
    result = Py_BuildValue("(NOO)", box_tuple(&bbox), cell_list, rows);
done:
    PyMem_Free(all);
    PyMem_Free(xs);
    PyMem_Free(slots);
    PyMem_Free(present);
    Py_XDECREF(cell_list);
    Py_XDECREF(rows);
    return result;
}

PyDoc_STRVAR(table_cells_doc,
             "table_cells(v_boxes, h_boxes, x_tolerance, y_tolerance)\n"
             "pdf._tables(pdf._cells(pdf._intersections(...))) in C: the tables the distinct vertical "
             "and horizontal edge boxes (x0, top, x1, bottom) make, each as (bbox, cells, rows) with "
             "rows as pdfplumber's Table.rows: (bbox, cells with None for a missing cell).");

static PyObject *table_cells(PyObject *self, PyObject *args) {
    PyObject *v_arg, *h_arg;
    double x_tolerance, y_tolerance;
    if (!PyArg_ParseTuple(args, "OOdd", &v_arg, &h_arg, &x_tolerance, &y_tolerance)) return NULL;
    Py_ssize_t v_count = 0, h_count = 0;
    Grid grid = {NULL, 0, NULL, NULL, NULL};
    Box *cells = NULL;
    Corner *corners = NULL;
    Py_ssize_t *parent = NULL;
    Group *groups = NULL;
    Box *members = NULL;
    Py_ssize_t *order = NULL;
    PyObject *tables = NULL;
    Box *v = read_boxes(v_arg, &v_count);
    Box *h = v == NULL ? NULL : read_boxes(h_arg, &h_count);
    if (h == NULL || build_grid(v, v_count, h, h_count, x_tolerance, y_tolerance, &grid) < 0) goto done;
    cells = PyMem_Calloc(grid.count ? grid.count : 1, sizeof(Box));
    if (cells == NULL) goto nomemory;
    Py_ssize_t cell_count = find_cells(&grid, cells);
    /* pdf._tables: cells joined through shared corners. */
    corners = PyMem_Calloc(4 * cell_count + 1, sizeof(Corner));
    parent = PyMem_Calloc(cell_count + 1, sizeof(Py_ssize_t));
    groups = PyMem_Calloc(cell_count + 1, sizeof(Group));
    members = PyMem_Calloc(cell_count + 1, sizeof(Box));
    order = PyMem_Calloc(cell_count + 1, sizeof(Py_ssize_t));
    if (corners == NULL || parent == NULL || groups == NULL || members == NULL || order == NULL)
        goto nomemory;
    for (Py_ssize_t i = 0; i < cell_count; i++) {
        parent[i] = i;
        corners[4 * i] = (Corner){cells[i].x0, cells[i].top, i};
        corners[4 * i + 1] = (Corner){cells[i].x0, cells[i].bottom, i};
        corners[4 * i + 2] = (Corner){cells[i].x1, cells[i].top, i};
        corners[4 * i + 3] = (Corner){cells[i].x1, cells[i].bottom, i};
    }
    qsort(corners, 4 * cell_count, sizeof(Corner), by_corner);
    for (Py_ssize_t k = 1; k < 4 * cell_count; k++) {
        if (corners[k].x == corners[k - 1].x && corners[k].y == corners[k - 1].y) {
            Py_ssize_t a = root_of(parent, corners[k].cell), b = root_of(parent, corners[k - 1].cell);
            if (a != b) parent[a > b ? a : b] = a < b ? a : b;
        }
    }
    Py_ssize_t group_count = 0;
    for (Py_ssize_t i = 0; i < cell_count; i++) {
        Py_ssize_t root = root_of(parent, i);
        if (root == i) groups[group_count++] = (Group){cells[i].top, cells[i].x0, i, 0, i};
    }
    for (Py_ssize_t i = 0; i < cell_count; i++) {
        Py_ssize_t root = root_of(parent, i);
        for (Py_ssize_t g = 0; g < group_count; g++) {
            if (groups[g].root != root) continue;
            groups[g].size++;
            if (cells[i].top < groups[g].top ||
                (cells[i].top == groups[g].top && cells[i].x0 < groups[g].x0)) {
                groups[g].top = cells[i].top;
                groups[g].x0 = cells[i].x0;
            }
            break;
        }
    }
    qsort(groups, group_count, sizeof(Group), by_group);
    tables = PyList_New(0);
    if (tables == NULL) goto done;
    for (Py_ssize_t g = 0; g < group_count; g++) {
        if (groups[g].size < 2) continue;
        Py_ssize_t size = 0;
        for (Py_ssize_t i = 0; i < cell_count; i++)
            if (root_of(parent, i) == groups[g].root) members[size++] = cells[i];
        PyObject *table = table_object(members, size, order);
        if (table == NULL || PyList_Append(tables, table) < 0) {
            Py_XDECREF(table);
            Py_CLEAR(tables);
            goto done;
        }
        Py_DECREF(table);
    }
    goto done;
nomemory:
    PyErr_NoMemory();
done:
    PyMem_Free(v);
    PyMem_Free(h);
    PyMem_Free(grid.points);
    PyMem_Free(grid.v_ids);
    PyMem_Free(grid.h_ids);
    PyMem_Free(grid.by_row);
    PyMem_Free(cells);
    PyMem_Free(corners);
    PyMem_Free(parent);
    PyMem_Free(groups);
    PyMem_Free(members);
    PyMem_Free(order);
    return tables;
}

/* ---- pdf_objects.Document._value: one PDF object's value, as pdfminer's parser builds it ---- */

static int is_pdf_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_delimiter(unsigned char c) {
    return is_pdf_space(c) || (c != 0 && strchr("#/%[]()<>{}", c) != NULL);
}

static int is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

typedef struct {
    const unsigned char *data;
    Py_ssize_t size;
    PyObject *unsupported;
} ObjectText;

/* Past whitespace and comments (pdf_objects._SKIP). */
static Py_ssize_t skip_space(const ObjectText *text, Py_ssize_t at) {
    while (at < text->size) {
        unsigned char c = text->data[at];
        if (is_pdf_space(c)) {
            at++;
        } else if (c == '%') {
            while (at < text->size && text->data[at] != '\r' && text->data[at] != '\n') at++;
        } else {
            break;
        }
    }
    return at;
}

static int at_end(const ObjectText *text, Py_ssize_t at) {
    return at >= text->size || is_delimiter(text->data[at]);
}

static Py_ssize_t skip_digits(const ObjectText *text, Py_ssize_t at) {
    while (at < text->size && is_digit(text->data[at])) at++;
    return at;
}

/* The end of a reference `N G R` starting at `at`, or -1 where there is none. */
static Py_ssize_t reference_end(const ObjectText *text, Py_ssize_t at, Py_ssize_t *digits_end) {
    Py_ssize_t i = skip_digits(text, at), j;
    *digits_end = i;
    if (i == at) return -1;
    for (j = i; j < text->size && is_pdf_space(text->data[j]); j++) {
    }
    if (j == i) return -1;
    i = skip_digits(text, j);
    if (i == j) return -1;
    for (j = i; j < text->size && is_pdf_space(text->data[j]); j++) {
    }
    if (j == i || j >= text->size || text->data[j] != 'R' || !at_end(text, j + 1)) return -1;
    return j + 1;
}

/* The end of a number (pdf_objects' `[+-]?(?:\d+(?:\.\d*)?|\.\d+)`) at `at`, or -1. */
static Py_ssize_t number_end(const ObjectText *text, Py_ssize_t at, int *is_float) {
    Py_ssize_t i = at;
    *is_float = 0;
    if (i < text->size && (text->data[i] == '+' || text->data[i] == '-')) i++;
    if (i < text->size && is_digit(text->data[i])) {
        i = skip_digits(text, i);
        if (i < text->size && text->data[i] == '.') {
            *is_float = 1;
            i = skip_digits(text, i + 1);
        }
        return i;
    }
    if (i + 1 < text->size && text->data[i] == '.' && is_digit(text->data[i + 1])) {
        *is_float = 1;
        return skip_digits(text, i + 1);
    }
    return -1;
}

static PyObject *number_value(const ObjectText *text, Py_ssize_t start, Py_ssize_t end, int is_float) {
    char buffer[64];
    PyObject *copy = NULL, *value;
    const char *digits;
    if (end - start < (Py_ssize_t)sizeof buffer) {
        memcpy(buffer, text->data + start, end - start);
        buffer[end - start] = '\0';
        digits = buffer;
    } else {
        copy = PyBytes_FromStringAndSize((const char *)text->data + start, end - start);
        if (copy == NULL) return NULL;
        digits = PyBytes_AS_STRING(copy);
    }
    if (is_float) {
        double number = PyOS_string_to_double(digits, NULL, NULL);
        value = number == -1.0 && PyErr_Occurred() ? NULL : PyFloat_FromDouble(number);
    } else {
        value = PyLong_FromString(digits, NULL, 10);
    }
    Py_XDECREF(copy);
    return value;
}

/* A name's literal: `#xx` escapes decoded (a `#` without hex digits dropped), text where UTF-8. */
static PyObject *name_value(const ObjectText *text, Py_ssize_t start, Py_ssize_t end, PyObject *make_name) {
    PyObject *raw = PyBytes_FromStringAndSize(NULL, end - start), *name, *literal;
    char *out;
    Py_ssize_t length = 0, i = start;
    if (raw == NULL) return NULL;
    out = PyBytes_AS_STRING(raw);
    while (i < end) {
        unsigned char c = text->data[i++];
        if (c != '#') {
            out[length++] = (char)c;
            continue;
        }
        int value = 0, digits = 0;
        while (digits < 2 && i < end && hex_value(text->data[i]) >= 0) {
            value = value * 16 + hex_value(text->data[i++]);
            digits++;
        }
        if (digits) out[length++] = (char)value;
    }
    name = PyUnicode_DecodeUTF8(out, length, "strict");
    if (name == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
            Py_DECREF(raw);
            return NULL;
        }
        PyErr_Clear();
        name = PyBytes_FromStringAndSize(out, length);
    }
    Py_DECREF(raw);
    if (name == NULL) return NULL;
    literal = PyObject_CallOneArg(make_name, name);
    Py_DECREF(name);
    return literal;
}

/* `<digits>` as pdfminer reads it: whitespace dropped, pairs as bytes, a last single digit as its
 * own value. */
static PyObject *hex_string_value(const ObjectText *text, Py_ssize_t start, Py_ssize_t end) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, (end - start) / 2 + 1);
    char *bytes;
    Py_ssize_t length = 0;
    int pending = -1;
    if (out == NULL) return NULL;
    bytes = PyBytes_AS_STRING(out);
    for (Py_ssize_t i = start; i < end; i++) {
        int digit = hex_value(text->data[i]);
        if (digit < 0) continue;
        if (pending < 0) {
            pending = digit;
        } else {
            bytes[length++] = (char)(pending * 16 + digit);
            pending = -1;
        }
    }
    if (pending >= 0) bytes[length++] = (char)pending;
    if (_PyBytes_Resize(&out, length) < 0) return NULL;
    return out;
}

/* pdf_objects._literal_string: the string whose text starts at *at, *at moved past its `)`. */
static PyObject *literal_string_value(const ObjectText *text, Py_ssize_t *at) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, text->size - *at);
    char *bytes;
    Py_ssize_t length = 0, i = *at;
    int depth = 1;
    if (out == NULL) return NULL;
    bytes = PyBytes_AS_STRING(out);
    for (;;) {
        if (i >= text->size) {
            Py_DECREF(out);
            PyErr_SetString(text->unsupported, "an unterminated string");
            return NULL;
        }
        unsigned char c = text->data[i];
        if (c == '\\') {
            i++;
            if (i < text->size && text->data[i] >= '0' && text->data[i] <= '7') {
                int code = 0;
                for (int k = 0; k < 3 && i < text->size && text->data[i] >= '0' && text->data[i] <= '7'; k++)
                    code = code * 8 + (text->data[i++] - '0');
                if (code > 255) {
                    Py_DECREF(out);
                    PyErr_SetString(text->unsupported, "an octal escape above 255");
                    return NULL;
                }
                bytes[length++] = (char)code;
                continue;
            }
            if (i >= text->size) continue;
            unsigned char escaped = text->data[i];
            const char *known = strchr("btnfr()\\", escaped);
            if (escaped != 0 && known != NULL) {
                bytes[length++] = "\b\t\n\f\r()\\"[known - "btnfr()\\"];
            } else if (escaped == '\r' && i + 1 < text->size && text->data[i + 1] == '\n') {
                i++;
            }
            i++;
        } else if (c == '(') {
            depth++;
            bytes[length++] = (char)c;
            i++;
        } else if (c == ')') {
            i++;
            if (--depth == 0) break;
            bytes[length++] = (char)c;
        } else {
            bytes[length++] = (char)c;
            i++;
        }
    }
    *at = i;
    if (_PyBytes_Resize(&out, length) < 0) return NULL;
    return out;
}

/* Key and value pairs as pdfminer's dictionary (pdf_objects._dictionary). */
static PyObject *dictionary_value(const ObjectText *text, PyObject *items) {
    Py_ssize_t count = PyList_GET_SIZE(items);
    PyObject *out;
    if (count % 2) {
        PyErr_SetString(text->unsupported, "a dictionary with a key and no value");
        return NULL;
    }
    out = PyDict_New();
    if (out == NULL) return NULL;
    for (Py_ssize_t i = 0; i < count; i += 2) {
        PyObject *key = PyList_GET_ITEM(items, i), *value = PyList_GET_ITEM(items, i + 1), *name;
        name = PyObject_GetAttrString(key, "name");
        if (name == NULL && PyErr_ExceptionMatches(PyExc_AttributeError)) PyErr_Clear();
        if (name == NULL || !PyUnicode_Check(name)) {
            Py_XDECREF(name);
            Py_DECREF(out);
            if (!PyErr_Occurred())
                PyErr_SetString(text->unsupported,
                                "a dictionary key that is not a name pdfminer reads as text");
            return NULL;
        }
        if (value != Py_None && PyDict_SetItem(out, name, value) < 0) {
            Py_DECREF(name);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(name);
    }
    return out;
}

static PyObject *unsupported_at(const ObjectText *text, Py_ssize_t at) {
    PyErr_Format(text->unsupported, "a token pdfminer reads its own way at offset %zd", at);
    return NULL;
}

PyDoc_STRVAR(pdf_value_doc,
             "pdf_value(data, pos, make_ref, make_name, unsupported)\n"
             "pdf_objects.Document._value in C: the object that starts at pos and the position after "
             "it, references made by make_ref(objid), names by make_name(text or bytes); `unsupported` "
             "raised where pdfminer would read the text its own way.");

static PyObject *pdf_value(PyObject *self, PyObject *args) {
    Py_buffer buffer;
    Py_ssize_t at;
    PyObject *make_ref, *make_name, *unsupported, *frames = NULL, *result = NULL;
    char *kinds = NULL;
    Py_ssize_t depth = 0, capacity = 0;
    if (!PyArg_ParseTuple(args, "y*nOOO", &buffer, &at, &make_ref, &make_name, &unsupported)) return NULL;
    ObjectText text = {(const unsigned char *)buffer.buf, buffer.len, unsupported};
    frames = PyList_New(0);
    if (frames == NULL) goto done;
    for (;;) {
        Py_ssize_t token_at = at, start, end, digits_end;
        PyObject *value = NULL;
        int is_float;
        if (at < 0 || at > text.size) {
            unsupported_at(&text, token_at);
            goto done;
        }
        start = skip_space(&text, at);
        if (start >= text.size) {
            unsupported_at(&text, token_at);
            goto done;
        }
        unsigned char c = text.data[start];
        if (is_digit(c) && (end = reference_end(&text, start, &digits_end)) >= 0) {
            PyObject *objid = number_value(&text, start, digits_end, 0);
            if (objid == NULL) goto done;
            value = PyObject_CallOneArg(make_ref, objid);
            Py_DECREF(objid);
            at = end;
        } else if ((end = number_end(&text, start, &is_float)) >= 0) {
            value = number_value(&text, start, end, is_float);
            at = end;
        } else if (c == '/') {
            end = start + 1;
            while (end < text.size && (!is_delimiter(text.data[end]) || text.data[end] == '#')) end++;
            value = name_value(&text, start + 1, end, make_name);
            at = end;
        } else if (c == '[' || (c == '<' && start + 1 < text.size && text.data[start + 1] == '<')) {
            PyObject *items = PyList_New(0);
            if (items == NULL || PyList_Append(frames, items) < 0) {
                Py_XDECREF(items);
                goto done;
            }
            Py_DECREF(items);
            if (depth == capacity) {
                char *grown = PyMem_Realloc(kinds, capacity ? capacity * 2 : 16);
                if (grown == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                kinds = grown;
                capacity = capacity ? capacity * 2 : 16;
            }
            kinds[depth++] = (char)c;
            at = start + (c == '[' ? 1 : 2);
            continue;
        } else if (c == ']' || (c == '>' && start + 1 < text.size && text.data[start + 1] == '>')) {
            char wanted = c == ']' ? '[' : '<';
            if (depth == 0 || kinds[depth - 1] != wanted) {
                PyErr_Format(unsupported, "an unbalanced b'%s' at offset %zd", c == ']' ? "]" : ">>", start);
                goto done;
            }
            PyObject *items = PyList_GET_ITEM(frames, depth - 1);
            Py_INCREF(items);
            if (PyList_SetSlice(frames, depth - 1, depth, NULL) < 0) {
                Py_DECREF(items);
                goto done;
            }
            depth--;
            if (wanted == '[') {
                value = items;
            } else {
                value = dictionary_value(&text, items);
                Py_DECREF(items);
            }
            at = start + (c == ']' ? 1 : 2);
        } else if (c == '<') {
            end = start + 1;
            while (end < text.size && (hex_value(text.data[end]) >= 0 || is_pdf_space(text.data[end]))) end++;
            if (end >= text.size || text.data[end] != '>') {
                unsupported_at(&text, token_at);
                goto done;
            }
            value = hex_string_value(&text, start + 1, end);
            at = end + 1;
        } else if (c == '(') {
            at = start + 1;
            value = literal_string_value(&text, &at);
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
            end = start + 1;
            while (end < text.size && !is_delimiter(text.data[end])) end++;
            Py_ssize_t length = end - start;
            const char *word = (const char *)text.data + start;
            if (length == 4 && memcmp(word, "true", 4) == 0) {
                value = Py_NewRef(Py_True);
            } else if (length == 5 && memcmp(word, "false", 5) == 0) {
                value = Py_NewRef(Py_False);
            } else if (length == 4 && memcmp(word, "null", 4) == 0) {
                value = Py_NewRef(Py_None);
            } else {
                PyObject *keyword = PyBytes_FromStringAndSize(word, length);
                if (keyword != NULL) {
                    PyErr_Format(unsupported, "the keyword %R inside an object", keyword);
                    Py_DECREF(keyword);
                }
                goto done;
            }
            at = end;
        } else {
            unsupported_at(&text, token_at);
            goto done;
        }
        if (value == NULL) goto done;
        if (depth == 0) {
            result = Py_BuildValue("(Nn)", value, at);
            goto done;
        }
        if (PyList_Append(PyList_GET_ITEM(frames, depth - 1), value) < 0) {
            Py_DECREF(value);
            goto done;
        }
        Py_DECREF(value);
    }
done:
    Py_XDECREF(frames);
    PyMem_Free(kinds);
    PyBuffer_Release(&buffer);
    return result;
}

/* ---- pdfplumber's merge_edges (snap, then join) and the length filter after it ---- */

typedef struct {
    int vertical;
    double x0, x1, top, bottom, width, height;
    Py_ssize_t order;
    Py_ssize_t cluster;
} Edge;

static double edge_number(PyObject *edge, const char *key, int *failed) {
    PyObject *value = PyDict_GetItemString(edge, key);
    if (value == NULL) {
        PyErr_Format(PyExc_KeyError, "an edge without %s", key);
        *failed = 1;
        return 0.0;
    }
    double number = PyFloat_AsDouble(value);
    if (number == -1.0 && PyErr_Occurred()) *failed = 1;
    return number;
}

static int read_edge(PyObject *edge, Py_ssize_t order, Edge *out) {
    if (!PyDict_Check(edge)) {
        PyErr_SetString(PyExc_TypeError, "an edge is a dict");
        return -1;
    }
    PyObject *orientation = PyDict_GetItemString(edge, "orientation");
    if (orientation == NULL || !PyUnicode_Check(orientation)) {
        PyErr_SetString(PyExc_KeyError, "an edge without an orientation");
        return -1;
    }
    int failed = 0;
    out->vertical = PyUnicode_CompareWithASCIIString(orientation, "v") == 0;
    if (!out->vertical && PyUnicode_CompareWithASCIIString(orientation, "h") != 0) {
        PyErr_SetString(PyExc_ValueError, "Orientation must be 'v' or 'h'");
        return -1;
    }
    out->x0 = edge_number(edge, "x0", &failed);
    out->x1 = edge_number(edge, "x1", &failed);
    out->top = edge_number(edge, "top", &failed);
    out->bottom = edge_number(edge, "bottom", &failed);
    out->width = edge_number(edge, "width", &failed);
    out->height = edge_number(edge, "height", &failed);
    out->order = order;
    out->cluster = 0;
    return failed ? -1 : 0;
}

static int by_cluster_then_order(const void *left, const void *right) {
    const Edge *a = left, *b = right;
    if (a->cluster != b->cluster) return a->cluster < b->cluster ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* The snapped coordinate an edge is clustered by: x0 of a vertical edge, top of a horizontal one. */
static double snap_key(const Edge *e) {
    return e->vertical ? e->x0 : e->top;
}

/* utils.snap_objects on `count` edges of one orientation: clustered by their key within
 * `tolerance`, ordered cluster by cluster (first come first within one), each moved by the
 * cluster's average minus its own key, the average summed left to right as Python's sum does. */
static int snap(Edge *edges, Py_ssize_t count, double tolerance, double *values, Py_ssize_t *ids) {
    if (count == 0) return 0;
    for (Py_ssize_t i = 0; i < count; i++) values[i] = snap_key(&edges[i]);
    Py_ssize_t distinct = clusters(values, count, tolerance, ids);
    for (Py_ssize_t i = 0; i < count; i++) {
        edges[i].cluster = ids[position(values, distinct, snap_key(&edges[i]))];
        edges[i].order = i;
    }
    qsort(edges, count, sizeof(Edge), by_cluster_then_order);
    for (Py_ssize_t start = 0, end; start < count; start = end) {
        double sum = 0.0;
        for (end = start; end < count && edges[end].cluster == edges[start].cluster; end++)
            sum += snap_key(&edges[end]);
        double average = sum / (double)(end - start);
        for (Py_ssize_t k = start; k < end; k++) {
            Edge *e = &edges[k];
            double value = average - snap_key(e);
            if (e->vertical) {
                e->x0 += value;
                e->x1 += value;
            } else {
                e->top += value;
                e->bottom += value;
            }
        }
    }
    return 0;
}

/* merge_edges' grouping: horizontal edges before vertical ones, by the snapped key, then order. */
static int by_line_group(const void *left, const void *right) {
    const Edge *a = left, *b = right;
    if (a->vertical != b->vertical) return a->vertical - b->vertical;
    double ka = snap_key(a), kb = snap_key(b);
    if (ka != kb) return ka < kb ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* join_edge_group's order: by the edge's start along its line (x0, top), then order. */
static int by_start(const void *left, const void *right) {
    const Edge *a = left, *b = right;
    double sa = a->vertical ? a->top : a->x0, sb = b->vertical ? b->top : b->x0;
    if (sa != sb) return sa < sb ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* join_edge_group on one line's `count` edges, joined in place; returns how many remain. A joined
 * edge takes the later edge's end: x1 with width = x1 - x0, or bottom with height += the change. */
static Py_ssize_t join(Edge *edges, Py_ssize_t count, double tolerance) {
    for (Py_ssize_t i = 0; i < count; i++) edges[i].order = i;
    qsort(edges, count, sizeof(Edge), by_start);
    Py_ssize_t kept = 1;
    for (Py_ssize_t i = 1; i < count; i++) {
        Edge *last = &edges[kept - 1], *e = &edges[i];
        double start = e->vertical ? e->top : e->x0, end = e->vertical ? e->bottom : e->x1;
        double last_end = last->vertical ? last->bottom : last->x1;
        if (start <= last_end + tolerance) {
            if (end > last_end) {
                if (last->vertical) {
                    last->height = last->height + (end - last->bottom);
                    last->bottom = end;
                } else {
                    last->x1 = end;
                    last->width = end - last->x0;
                }
            }
        } else {
            edges[kept++] = *e;
        }
    }
    return kept;
}

static PyObject *box_list(const Edge *edges, Py_ssize_t count, int vertical) {
    PyObject *out = PyList_New(0), *seen = PySet_New(NULL);
    if (out == NULL || seen == NULL) goto fail;
    for (Py_ssize_t i = 0; i < count; i++) {
        const Edge *e = &edges[i];
        if (e->vertical != vertical) continue;
        PyObject *box = Py_BuildValue("(dddd)", e->x0, e->top, e->x1, e->bottom);
        if (box == NULL) goto fail;
        int known = PySet_Contains(seen, box);
        if (known < 0 || (!known && (PySet_Add(seen, box) < 0 || PyList_Append(out, box) < 0))) {
            Py_DECREF(box);
            goto fail;
        }
        Py_DECREF(box);
    }
    Py_DECREF(seen);
    return out;
fail:
    Py_XDECREF(out);
    Py_XDECREF(seen);
    return NULL;
}

PyDoc_STRVAR(merge_edges_doc,
             "merge_edges(edges, snap_x, snap_y, join_x, join_y, min_length)\n"
             "pdfplumber's table.merge_edges (snap_edges, then join_edge_group on each line) and "
             "filter_edges(min_length) in C, on edge dicts (orientation, x0, x1, top, bottom, width, "
             "height): the distinct (x0, top, x1, bottom) boxes of the vertical and of the horizontal "
             "edges left, in pdfplumber's order.");

static PyObject *merge_edges(PyObject *self, PyObject *args) {
    PyObject *edges_arg, *result = NULL;
    double snap_x, snap_y, join_x, join_y, min_length;
    if (!PyArg_ParseTuple(args, "Oddddd", &edges_arg, &snap_x, &snap_y, &join_x, &join_y, &min_length))
        return NULL;
    PyObject *list = PySequence_Fast(edges_arg, "edges must be a sequence");
    if (list == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(list), n = count ? count : 1;
    Edge *edges = PyMem_Calloc(n, sizeof(Edge)), *snapped = PyMem_Calloc(n, sizeof(Edge));
    double *values = PyMem_Calloc(n, sizeof(double));
    Py_ssize_t *ids = PyMem_Calloc(n, sizeof(Py_ssize_t));
    if (edges == NULL || snapped == NULL || values == NULL || ids == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++)
        if (read_edge(PySequence_Fast_GET_ITEM(list, i), i, &edges[i]) < 0) goto done;
    /* snap_edges: the vertical edges snapped by x0, then the horizontal ones by top. */
    Py_ssize_t vertical = 0;
    for (Py_ssize_t i = 0; i < count; i++)
        if (edges[i].vertical) snapped[vertical++] = edges[i];
    Py_ssize_t total = vertical;
    for (Py_ssize_t i = 0; i < count; i++)
        if (!edges[i].vertical) snapped[total++] = edges[i];
    if (snap_x > 0 || snap_y > 0) {
        snap(snapped, vertical, snap_x, values, ids);
        snap(snapped + vertical, count - vertical, snap_y, values, ids);
    }
    for (Py_ssize_t i = 0; i < count; i++) snapped[i].order = i;
    qsort(snapped, count, sizeof(Edge), by_line_group);
    Py_ssize_t kept = 0;
    for (Py_ssize_t start = 0, end; start < count; start = end) {
        for (end = start; end < count && snapped[end].vertical == snapped[start].vertical &&
                          snap_key(&snapped[end]) == snap_key(&snapped[start]);
             end++) {
        }
        Py_ssize_t joined = join(snapped + start, end - start, snapped[start].vertical ? join_y : join_x);
        for (Py_ssize_t k = 0; k < joined; k++) {
            const Edge *e = &snapped[start + k];
            if ((e->vertical ? e->height : e->width) >= min_length) edges[kept++] = *e;
        }
    }
    PyObject *v = box_list(edges, kept, 1), *h = v == NULL ? NULL : box_list(edges, kept, 0);
    if (v != NULL && h != NULL) result = PyTuple_Pack(2, v, h);
    Py_XDECREF(v);
    Py_XDECREF(h);
done:
    PyMem_Free(edges);
    PyMem_Free(snapped);
    PyMem_Free(values);
    PyMem_Free(ids);
    Py_DECREF(list);
    return result;
}

static PyMethodDef methods[] = {
    {"merge_edges", merge_edges, METH_VARARGS, merge_edges_doc},
    {"pdf_value", pdf_value, METH_VARARGS, pdf_value_doc},
    {"cell_texts", cell_texts, METH_VARARGS, cell_texts_doc},
    {"table_cells", table_cells, METH_VARARGS, table_cells_doc},
    {"path_ops", path_ops, METH_VARARGS, path_ops_doc},
    {"extract_words", extract_words, METH_VARARGS, extract_words_doc},
    {"page_chars", page_chars, METH_VARARGS, page_chars_doc},
    {"page_objects", page_objects, METH_VARARGS, page_objects_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_pdf_speedups", "The hot loops of parsers/pdf_pdfium.py in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__pdf_speedups(void) {
    return PyModule_Create(&module);
}
