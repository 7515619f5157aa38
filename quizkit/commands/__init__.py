"""CLI commands, one module per area; each command calls one library function."""
