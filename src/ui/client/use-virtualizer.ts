/** TanStack Virtual's list virtualizer as a Preact hook (what `@tanstack/react-virtual` does). */
import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
} from '@tanstack/virtual-core';
import type { VirtualizerOptions } from '@tanstack/virtual-core';
import { useLayoutEffect, useReducer, useState } from 'preact/hooks';

type Options = Omit<
  VirtualizerOptions<HTMLDivElement, HTMLDivElement>,
  'observeElementRect' | 'observeElementOffset' | 'scrollToFn'
>;

/**
 * A virtualizer over a scrolling element; the component renders again whenever the items in
 * view change (scrolling, resizing, a new count).
 */
export function useVirtualizer(options: Options): Virtualizer<HTMLDivElement, HTMLDivElement> {
  return useVirtualizerOf({
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    ...options,
  });
}

/**
 * A virtualizer with `options` whatever it scrolls (an element, the page), kept across renders:
 * the component renders again whenever the items in view change.
 */
export function useVirtualizerOf<S extends Element | Window, I extends Element>(
  options: VirtualizerOptions<S, I>,
): Virtualizer<S, I> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const resolved: VirtualizerOptions<S, I> = {
    ...options,
    onChange: (instance, sync) => {
      rerender(0);
      options.onChange?.(instance, sync);
    },
  };
  const [virtualizer] = useState(() => new Virtualizer(resolved));
  virtualizer.setOptions(resolved);
  useLayoutEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => virtualizer._willUpdate());
  return virtualizer;
}
