"""One module per `coach` subcommand; each registers itself and imports heavy code lazily."""
