"""The app's screens; each one is a module so the app can import them lazily."""
