# --- plugins (topology, plan, state files; PD and Pipeline API responses) and the spotguide tool ---
