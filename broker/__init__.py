"""The broker routes requests to event owners; the relay feeds browsers."""
