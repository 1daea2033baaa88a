/** The intent engine's public face (issue #8): requests in words → typed, safety-rated intents. */
export { parseOffline } from './intent'
export { evaluate, parseLabelled, readLabelled, LABELLED_FILE_MAX_BYTES } from './evaluate'
export { IntentEngine, DEFAULT_INTENT_SETTINGS, type IntentSettings } from './engine'
export { IntentError } from './errors'
