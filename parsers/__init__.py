"""nianbao parsers package."""
