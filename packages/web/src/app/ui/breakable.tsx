import { Fragment } from 'react';

/**
 * A name that may wrap only where it has a natural break: after `_ / . - :` (a `<wbr>` there),
 * never inside a word (`search_doc/s` → `search_` + `docs`). Its text, and so its accessible
 * name, is unchanged.
 */
export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[_/.\-:])/);
  return (
    <>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 ? <wbr /> : null}
        </Fragment>
      ))}
    </>
  );
}
