"""Operations support inside the engine: the beat/worker heartbeat read by the web's /readyz."""
