"""The bundled demo portal and its generated report files."""
