import { Minimatch, unescape } from "minimatch";

/**
 * Glob matching for tool and action names (`db.*`, `transaction.*`, `shell.{exec,run}`), through
 * minimatch (which matches without building regular expressions, so a hostile name cannot make a
 * pattern backtrack). Names are not paths, but `/` still separates segments for `*` (use `**`).
 *
 * minimatch costs a few hundred ns per match, so each matcher memoises its answers for the names it
 * has seen (bounded; names come from a small vocabulary in practice, and an agent sending random
 * names only falls back to the uncached cost).
 */
export interface GlobMatcher {
  readonly pattern: string;
  /** False when the pattern has no wildcard: it matches only {@link literal}. */
  readonly isGlob: boolean;
  /** The one name a non-glob pattern matches (escapes removed). */
  readonly literal?: string;
  test(name: string): boolean;
}

const OPTIONS = { dot: true, nocomment: true, nonegate: true, magicalBraces: true } as const;
const MAX_MATCHERS = 4096;
const MAX_MEMO = 1024;
const matchers = new Map<string, GlobMatcher>();

export class GlobError extends Error {
  override readonly name = "GlobError";
}

function literal(pattern: string, name: string): GlobMatcher {
  return { pattern, isGlob: false, literal: name, test: (candidate) => candidate === name };
}

function glob(pattern: string, mm: Minimatch): GlobMatcher {
  const memo = new Map<string, boolean>();
  return {
    pattern,
    isGlob: true,
    test(name: string): boolean {
      let hit = memo.get(name);
      if (hit === undefined) {
        hit = mm.match(name);
        if (memo.size >= MAX_MEMO) memo.clear();
        memo.set(name, hit);
      }
      return hit;
    },
  };
}

export function compileGlob(pattern: string): GlobMatcher {
  let matcher = matchers.get(pattern);
  if (matcher !== undefined) return matcher;
  if (pattern.length === 0) throw new GlobError("empty glob pattern");
  let mm: Minimatch;
  try {
    mm = new Minimatch(pattern, OPTIONS);
  } catch (err) {
    throw new GlobError(`invalid glob pattern "${pattern}": ${(err as Error).message}`);
  }
  matcher = mm.hasMagic() ? glob(pattern, mm) : literal(pattern, unescape(pattern));
  if (matchers.size >= MAX_MATCHERS) matchers.clear();
  matchers.set(pattern, matcher);
  return matcher;
}

export function globMatch(name: string, pattern: string): boolean {
  return compileGlob(pattern).test(name);
}
