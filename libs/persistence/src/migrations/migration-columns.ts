import { type TableColumnOptions } from 'typeorm';

/** Column shorthands for migrations; they mirror the entity decorators exactly (the drift test checks). */
export const id = (name = 'id'): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isPrimary: true,
});

export const varchar = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});

export const text = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'text',
  isNullable: nullable,
});

export const json = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'json',
  isNullable: nullable,
});

export const integer = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'integer',
  isNullable: nullable,
});

export const boolean = (name: string): TableColumnOptions => ({ name, type: 'boolean' });

export const double = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'double precision',
  isNullable: nullable,
});
