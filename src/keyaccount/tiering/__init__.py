"""Tiering (客户分级): tier sets, scoring and the service policy each tier is entitled to."""
