"""Syndic mandates at the BCE (seed 002): requests, their rules, fees and the mandate history."""
