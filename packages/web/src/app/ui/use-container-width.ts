import { useLayoutEffect, useRef, useState } from 'react';

/**
 * The width of an element, measured before the browser paints and again whenever it changes
 * (ResizeObserver): for layouts that depend on the room they have, not on the window (a table
 * beside the sidebar has much less room than the window suggests). Null until measured.
 */
export function useContainerWidth<T extends HTMLElement>(): [React.RefObject<T | null>, number | null] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState<number | null>(null);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    setWidth(element.getBoundingClientRect().width);
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(entry.contentRect.width);
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
    };
  }, []);
  return [ref, width];
}
