"""Fair races in the app: the dialog that tunes and loads a race (dialog), the finish board dock (board)."""
