// Placeholder so the target builds while its room is built.
