import pkg from '../package.json'

/** The product's own version, taken from package.json so there is one place to bump it. */
export const PRODUCT_NAME = 'DWCP Console'
export const PRODUCT_VERSION: string = pkg.version
