import type { ReactNode } from 'react';

interface OptionsProps<T> {
  items: readonly T[];
  /** An item's value, also its key; the item itself as text by default. */
  value?: (item: T) => string | number;
  /** What an item shows; its value by default. */
  label?: (item: T) => ReactNode;
}

/** One `<option>` per item of a `<select>`. */
export function Options<T>({ items, value = String, label }: OptionsProps<T>) {
  return (
    <>
      {items.map((item) => (
        <option key={value(item)} value={value(item)}>
          {label ? label(item) : value(item)}
        </option>
      ))}
    </>
  );
}
