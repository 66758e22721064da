"""nianbao crawler package."""
