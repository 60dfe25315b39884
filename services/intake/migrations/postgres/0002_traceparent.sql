-- The W3C trace context (`traceparent`) of the submission that recorded the event, sent by
-- the relay as a NATS header so a subscriber's work joins the submitter's trace. NULL for
-- events recorded before it existed or without a trace.
ALTER TABLE events ADD COLUMN traceparent TEXT;
