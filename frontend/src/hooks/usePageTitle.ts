import { useEffect } from 'react';

/** Sets the document title ("Clone sessions · PureBoot") while the page is shown. */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · PureBoot` : 'PureBoot';
  }, [title]);
}
