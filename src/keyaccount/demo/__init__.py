"""Seeded sample portfolios for demos, benchmarks and tests."""

from keyaccount.demo.generator import DemoConfig, Portfolio, demo_rates, generate_portfolio

__all__ = ["DemoConfig", "Portfolio", "demo_rates", "generate_portfolio"]
