/** A growable column of numbers in a typed array: no per-value object, no boxed doubles. */
export class NumberColumn {
  private data: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get(index: number): number {
    return this.data[index];
  }

  toArray(): number[] {
    return Array.from(this.data.subarray(0, this.length));
  }
}

/** Strings stored once, referred to by index (group values, labels); -1 is "none". */
export class StringTable {
  private readonly indexes = new Map<string, number>();
  readonly values: string[] = [];

  index(value: string | null | undefined): number {
    if (value === null || value === undefined) {
      return -1;
    }
    let index = this.indexes.get(value);
    if (index === undefined) {
      index = this.values.length;
      this.values.push(value);
      this.indexes.set(value, index);
    }
    return index;
  }

  value(index: number): string | null {
    return index < 0 ? null : this.values[index];
  }
}
