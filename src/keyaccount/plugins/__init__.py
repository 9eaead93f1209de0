"""Built-in plugins: storage backends and CRM providers registered through the public hooks."""
