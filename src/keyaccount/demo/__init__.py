"""Seeded sample portfolios for demos, benchmarks and tests."""

from keyaccount.demo.generator import DemoConfig, Portfolio, generate_portfolio

__all__ = ["DemoConfig", "Portfolio", "generate_portfolio"]
