-- The follow-ups an API service's operation declares (onSuccess / onFailure), as the file's operations do.
ALTER TABLE "operations" ADD COLUMN "follow_ups" jsonb;