-- placeholder for another helper's 0025 (local only, never committed)
SELECT 1;
