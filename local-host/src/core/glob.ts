/**
 * Minimal glob support for package.json `main` (Functions allows e.g. "dist/src/functions/*.js"):
 * `*` and `?` within a segment, `**` across segments, `{a,b}` alternatives. Pure; the walk is in app-loader.ts.
 */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?{]/.test(pattern);
}

/** Converts a relative, '/'-separated glob into a RegExp matching '/'-separated relative paths. */
export function globToRegExp(pattern: string): RegExp {
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  let out = '';
  for (let i = 0; i < normalized.length; i++) {
    const c = normalized.charAt(i);
    if (c === '*') {
      if (normalized.charAt(i + 1) === '*') {
        const atSegmentStart = i === 0 || normalized.charAt(i - 1) === '/';
        const followedBySlash = normalized.charAt(i + 2) === '/';
        if (atSegmentStart && followedBySlash) {
          out += '(?:[^/]+/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '{') {
      const close = normalized.indexOf('}', i);
      if (close < 0) throw new Error(`Unclosed "{" in glob "${pattern}"`);
      const alternatives = normalized.slice(i + 1, close).split(',').map((a) => globToRegExp(a).source.slice(1, -1));
      out += `(?:${alternatives.join('|')})`;
      i = close;
    } else {
      out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

/** The literal directory prefix of a glob (where the walk can start). */
export function globBase(pattern: string): string {
  const segments = pattern.replace(/\\/g, '/').replace(/^\.\//, '').split('/');
  const literal: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (hasGlobMagic(segment)) break;
    literal.push(segment);
  }
  return literal.join('/');
}
