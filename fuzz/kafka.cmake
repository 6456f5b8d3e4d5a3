# --- Kafka wire: one target per response decoder, the frame reader, and SCRAM ---
