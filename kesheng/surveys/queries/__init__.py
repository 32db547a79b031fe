"""Reads of surveys, split by topic like the actions."""
