// Vite's client-side types (import.meta.glob, ?raw imports, import.meta.env) for ui/src.
/// <reference types="vite/client" />
