"""nianbao storage package."""
