"""nianbao flows package."""
