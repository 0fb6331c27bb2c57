import type { CompiledRule, Dimension, NameSet } from "./bundle.ts";
import { DIMENSIONS } from "./bundle.ts";
import type { GlobMatcher } from "./glob.ts";

/**
 * Multi-level index over the rule targets: one level per dimension (action, environment, agent,
 * change type, version change), each with an exact-name map, a wildcard child and glob children.
 * A request walks only the branches its values select, so rules that cannot match are never
 * touched; the leaves hold the rules to evaluate. A rule listed under several names or globs of
 * one dimension sits in several branches; the evaluator de-duplicates with a per-evaluation stamp.
 */
export interface IndexNode {
  readonly exact: Map<string, IndexNode>;
  any: IndexNode | undefined;
  readonly globs: { readonly glob: GlobMatcher; readonly node: IndexNode }[];
  /** Rules whose every dimension has been consumed (only on the last level). */
  readonly rules: CompiledRule[];
}

function node(): IndexNode {
  return { exact: new Map(), any: undefined, globs: [], rules: [] };
}

function insert(at: IndexNode, rule: CompiledRule, depth: number): void {
  if (depth === DIMENSIONS.length) {
    at.rules.push(rule);
    return;
  }
  const dim = DIMENSIONS[depth] as Dimension;
  const names: NameSet | undefined = rule.target[dim];
  if (names === undefined) {
    at.any ??= node();
    insert(at.any, rule, depth + 1);
    return;
  }
  for (const name of names.exact) {
    let child = at.exact.get(name);
    if (child === undefined) at.exact.set(name, (child = node()));
    insert(child, rule, depth + 1);
  }
  for (const glob of names.globs) {
    let entry = at.globs.find((g) => g.glob.pattern === glob.pattern);
    if (entry === undefined) at.globs.push((entry = { glob, node: node() }));
    insert(entry.node, rule, depth + 1);
  }
}

export function buildIndex(rules: readonly CompiledRule[]): IndexNode {
  const root = node();
  for (const rule of rules) insert(root, rule, 0);
  return root;
}

/** Structural statistics, for bundle status and tests. */
export function indexStats(root: IndexNode): { nodes: number; leaves: number; maxLeaf: number } {
  let nodes = 0;
  let leaves = 0;
  let maxLeaf = 0;
  const walk = (n: IndexNode): void => {
    nodes++;
    if (n.rules.length > 0) {
      leaves++;
      maxLeaf = Math.max(maxLeaf, n.rules.length);
    }
    for (const c of n.exact.values()) walk(c);
    if (n.any !== undefined) walk(n.any);
    for (const g of n.globs) walk(g.node);
  };
  walk(root);
  return { nodes, leaves, maxLeaf };
}
