/**
 * A per-process memo of async loads by key, for what does not change once loaded (a campaign's
 * frozen content and what is made of it, a certificate): calls while a load is under way share
 * it; at most `max` results are kept, the least recently asked for dropped first; a load that
 * fails, or whose value `keep` turns down, is not kept, so the next call loads again.
 */
export function boundedMemo<V>(max: number, load: (key: string) => Promise<V>, keep: (value: V) => boolean = () => true): (key: string) => Promise<V> {
  const entries = new Map<string, Promise<V>>();
  const forget = (key: string, entry: Promise<V>) => {
    if (entries.get(key) === entry) entries.delete(key);
  };
  return (key) => {
    let entry = entries.get(key);
    if (entry) {
      // Asked for again: now the most recent.
      entries.delete(key);
    } else {
      const loading = load(key);
      loading.then((value) => keep(value) || forget(key, loading), () => forget(key, loading));
      entry = loading;
      if (entries.size >= max) entries.delete(entries.keys().next().value as string);
    }
    entries.set(key, entry);
    return entry;
  };
}
