/**
 * @module Boxes, labels and track ids, zones and lines drawn over a frame as SVG in the picture's
 * own normalised coordinates (0..1), so they follow the image at any size. Labels scale with the
 * picture but never below 11 px on screen (a small tile would make them unreadable).
 */
import { useEffect, useRef, useState } from 'preact/hooks';

/** The smallest label on screen, in CSS pixels. */
const MIN_LABEL_PX = 11;
export interface OverlayData {
  /** The analysed frame the detections belong to. */
  seq?: number;
  width: number;
  height: number;
  detections: Array<{
    label: string;
    score: number;
    track_id: number | null;
    box: [number, number, number, number];
    sub_label?: string;
    sub_score?: number;
    text?: string;
  }>;
  zones: Array<{ name: string; polygon: Array<[number, number]> }>;
  lines: Array<{ name: string; a: [number, number]; b: [number, number] }>;
  /** Motion boxes and the regions the detector ran on (a pipeline gated on motion). */
  motion?: { boxes: Box[]; regions: Box[]; detector: 'full' | 'regions' | 'skipped' | null };
}

type Box = [number, number, number, number];

/** `motion`: draw the motion boxes (dashed) and the detector's regions too. */
export function Overlay(p: { data: OverlayData; motion?: boolean }) {
  const { width: w, height: h } = p.data;
  const pt = ([x, y]: [number, number]) => `${x * w},${y * h}`;
  const ref = useRef<SVGSVGElement>(null);
  const [shownHeight, setShownHeight] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setShownHeight(el.getBoundingClientRect().height));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  // Font size in the picture's units: a sixteenth of its height, or 11 px on screen if that is more.
  const size = Math.max(h / 16, shownHeight > 0 ? (MIN_LABEL_PX * h) / shownHeight : 0);
  return (
    <svg
      ref={ref}
      class="overlay"
      data-seq={p.data.seq}
      viewBox={`0 0 ${w} ${h}`}
      preserveAspectRatio="none"
      aria-hidden="true"
      style={{ fontSize: `${Math.round(size)}px` }}
    >
      {p.data.zones.map((z) => (
        <g key={`z-${z.name}`} class="zone">
          <polygon points={z.polygon.map(pt).join(' ')} />
          <text x={z.polygon[0]![0] * w + 4} y={z.polygon[0]![1] * h + 14}>
            {z.name}
          </text>
        </g>
      ))}
      {p.data.lines.map((l) => (
        <g key={`l-${l.name}`} class="line">
          <line x1={l.a[0] * w} y1={l.a[1] * h} x2={l.b[0] * w} y2={l.b[1] * h} />
          <text x={l.a[0] * w + 4} y={l.a[1] * h - 4}>
            {l.name}
          </text>
        </g>
      ))}
      {p.motion &&
        p.data.motion?.boxes.map((b, i) => (
          <rect
            key={`m-${i}`}
            class="motion-box"
            x={b[0] * w}
            y={b[1] * h}
            width={(b[2] - b[0]) * w}
            height={(b[3] - b[1]) * h}
          />
        ))}
      {p.motion &&
        p.data.motion?.regions.map((b, i) => (
          <rect
            key={`r-${i}`}
            class="region"
            x={b[0] * w}
            y={b[1] * h}
            width={(b[2] - b[0]) * w}
            height={(b[3] - b[1]) * h}
          />
        ))}
      {p.data.detections.map((d, i) => {
        const [x1, y1, x2, y2] = d.box;
        return (
          <g key={`d-${d.track_id ?? `u${i}`}`} class="det" data-label={d.label}>
            <rect x={x1 * w} y={y1 * h} width={(x2 - x1) * w} height={(y2 - y1) * h} />
            <text x={x1 * w + 2} y={Math.max(size, y1 * h - 3)}>
              {d.label}
              {d.sub_label ? ` · ${d.sub_label} ${Math.round((d.sub_score ?? 0) * 100)}%` : ''}
              {d.text ? ` · ${d.text}` : ''}
              {d.track_id !== null ? ` #${d.track_id}` : ''} {Math.round(d.score * 100)}%
            </text>
          </g>
        );
      })}
    </svg>
  );
}
