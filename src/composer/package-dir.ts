import { fileURLToPath } from 'node:url';

/**
 * The folder newsdesk is installed in (holds `templates/`, `newsletters/`, `examples/`), so the
 * command finds its own files when run from anywhere (`npx newsdesk` in an editor's folder).
 */
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** The package's own `templates/` folder: the default place templates are read from. */
export const PACKAGE_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** The package's own `newsletters/` folder: the fallback when the configured one lacks an id. */
export const PACKAGE_NEWSLETTERS_DIR = fileURLToPath(new URL('../../newsletters/', import.meta.url));
