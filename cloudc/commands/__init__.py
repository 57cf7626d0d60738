"""CLI commands, one module per family: build/validate, inspect (explain, graph, schema,
presets), scaffold (init), aws (diff, deploy)."""
