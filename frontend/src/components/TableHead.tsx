/** A column: its name, or its name with a hover explanation. */
export type Column = string | { label: string; title: string };

/**
 * A table's header row: one `<th scope="col">` a column; `actions` adds a last
 * column for row buttons, named only for screen readers.
 */
export function TableHead({ columns, actions = false }: { columns: readonly Column[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((column) =>
          typeof column === 'string' ? (
            <th key={column} scope="col">
              {column}
            </th>
          ) : (
            <th key={column.label} scope="col" title={column.title}>
              {column.label}
            </th>
          ),
        )}
        {actions && (
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
