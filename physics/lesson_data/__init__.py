"""The built-in lessons as JSON files (physics.lessons.builtin_lessons reads them)."""
