"""The app's infer tasks."""
