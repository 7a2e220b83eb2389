/**
 * @module A photo's pane in the library: the picture, its name, description, tags and privacy
 * edited in place (saved with PATCH; the id stays), and the EXIF it keeps.
 */
import { useEffect, useState } from 'preact/hooks';
import { sendJson } from '../api';
import { ApiImage, ErrorLine, when } from './ui';
import type { Exif } from '../../../contracts/images';

export interface LibraryImage {
  image_id: string;
  name: string | null;
  description: string | null;
  file_name: string | null;
  tags: string[];
  created_at: string;
  width: number;
  height: number;
  owner: string;
  owner_name: string;
  private: boolean;
  size_bytes: number;
  exif: Exif | null;
}

const exposure = (s: number) => (s >= 1 ? `${s} s` : `1/${Math.round(1 / s)} s`);

/** The EXIF rows worth showing, in the order a photographer reads them. */
export function exifRows(e: Exif | null): Array<[string, string]> {
  if (!e) return [];
  const rows: Array<[string, string | null]> = [
    [
      'Taken',
      e.taken_local ? `${e.taken_local.replace('T', ' ')}${e.taken_offset ? ` (UTC${e.taken_offset})` : ''}` : null,
    ],
    ['Camera', e.camera_model],
    ['Lens', e.lens],
    ['Exposure', e.exposure_s === null ? null : exposure(e.exposure_s)],
    ['Aperture', e.f_number === null ? null : `f/${e.f_number}`],
    ['Focal length', e.focal_length_mm === null ? null : `${e.focal_length_mm} mm`],
    ['ISO', e.iso === null ? null : String(e.iso)],
    [
      'Location',
      e.gps ? `${e.gps.lat.toFixed(5)}, ${e.gps.lon.toFixed(5)}${e.gps.alt === null ? '' : `, ${e.gps.alt} m`}` : null,
    ],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== null);
}

export function PhotoPane(p: {
  image: LibraryImage;
  mine: boolean;
  canEdit: boolean;
  onSaved: (im: LibraryImage) => void;
  onClose: () => void;
  /** The photo before and after this one in the list, when there is one. */
  onStep?: (by: -1 | 1) => void;
  /** Search the library by this photo. */
  onSimilar?: () => void;
}) {
  const im = p.image;
  // Escape closes the pane; the arrow keys step through the list (not while typing in a field).
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      const typing = (e.target as HTMLElement | null)?.closest?.('input, textarea, select');
      if (e.key === 'Escape') p.onClose();
      else if (!typing && e.key === 'ArrowLeft') p.onStep?.(-1);
      else if (!typing && e.key === 'ArrowRight') p.onStep?.(1);
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, [p.onClose, p.onStep]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    setSaving(true);
    try {
      const saved = await sendJson<LibraryImage>(`api/images/${im.image_id}`, 'PATCH', {
        name: text('name') || null,
        description: text('description') || null,
        tags: text('tags')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        private: f.get('private') === 'on',
      });
      setError(null);
      p.onSaved(saved);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };
  return (
    <aside class="photo-pane" aria-label={`Photo ${im.name ?? im.file_name ?? im.image_id}`}>
      <header class="card-head">
        <h2 title={im.name ?? im.file_name ?? 'Photo'}>{im.name ?? im.file_name ?? 'Photo'}</h2>
        <div class="pane-actions">
          {p.onStep && (
            <>
              <button type="button" class="ghost" onClick={() => p.onStep?.(-1)} aria-label="The previous photo">
                ‹
              </button>
              <button type="button" class="ghost" onClick={() => p.onStep?.(1)} aria-label="The next photo">
                ›
              </button>
            </>
          )}
          <button type="button" class="ghost" onClick={p.onClose} aria-label="Close the photo">
            ×
          </button>
        </div>
      </header>
      <ApiImage path={`api/images/${im.image_id}/preview`} alt={im.name ?? ''} class="photo-large" />
      <p class="muted">
        {im.width} × {im.height} · {(im.size_bytes / 1e6).toFixed(1)} MB · added {when(im.created_at)} ·{' '}
        {im.owner === 'box' ? 'the box’s' : p.mine ? 'yours' : `${im.owner_name}’s`}
        {im.private ? ' · private' : ''}
      </p>
      {p.canEdit ? (
        <form class="photo-form" key={im.image_id} onSubmit={(e) => void save(e)}>
          <label>
            Name
            <input name="name" maxLength={500} defaultValue={im.name ?? ''} />
          </label>
          <label>
            Description
            <textarea name="description" rows={2} maxLength={5000} defaultValue={im.description ?? ''} />
          </label>
          <label>
            Tags (comma-separated)
            <input name="tags" defaultValue={im.tags.join(', ')} />
          </label>
          <label class="check">
            <input type="checkbox" name="private" defaultChecked={im.private} />
            Private: only {p.mine ? 'you' : 'its owner'} and admins see it
          </label>
          <ErrorLine error={error} />
          <button type="submit" disabled={saving}>
            Save
          </button>
        </form>
      ) : (
        <p>
          {im.description}
          {im.tags.length ? ` · ${im.tags.join(', ')}` : ''}
        </p>
      )}
      {p.onSimilar && (
        <button type="button" class="primary" onClick={p.onSimilar}>
          Find similar
        </button>
      )}
      {exifRows(im.exif).length > 0 && (
        <dl class="exif">
          {exifRows(im.exif).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </aside>
  );
}
