/** @module The analytics API's shapes: analysis sessions, and what the aggregate views answer. */

/** A stream in a session, with the zones counted (none: the whole view). */
export interface SessionStream {
  stream: string;
  zones: string[];
}

export interface AnalysisSession {
  id: string;
  name: string;
  description: string;
  owner: string | null;
  streams: SessionStream[];
  /** Runs whose results the session counts (their stream is `run:<id>`). */
  runs: string[];
  starts_at: string;
  ends_at: string | null;
  created_at: string;
  updated_at: string;
  /** Shown to anonymous callers when analytics.public is on (its counts of streams only). */
  public: boolean;
}

/** What a caller sends to create (all of name, starts_at) or change (any) a session. */
export interface SessionInput {
  name?: string;
  description?: string;
  streams?: Array<string | { stream: string; zones?: string[] }>;
  runs?: string[];
  public?: boolean;
  starts_at?: string;
  ends_at?: string | null;
}

export interface CalendarDay {
  day: string;
  value: number | null;
}

export interface SeriesPoint {
  t: string;
  value: number | null;
  total: number;
  classes: Record<string, number>;
}

export interface ClassSummary {
  label: string;
  total: number;
  share: number | null;
  first_seen: string;
  last_seen: string;
  days: number;
}

/** What a class's abundance counts: distinct tracks, independent events, or detections. */
export type Abundance = 'tracks' | 'events' | 'detections';
export type Interval = 'hour' | 'day' | 'week';

/** One bucket's metrics, as the store computes them; `classes` is each class's abundance in it. */
export interface Bucketed {
  bucket: Date | string;
  total: number;
  richness: number;
  shannon: number | null;
  simpson: number | null;
  evenness: number | null;
  hill1: number | null;
  classes: Record<string, number>;
}
