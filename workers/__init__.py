"""Worker processes: each owns some events, prices them and books their money."""
