"""Scrapy spiders of nianbao (one generic, config-driven spider)."""
