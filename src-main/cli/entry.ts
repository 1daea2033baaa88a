import { main } from './index'

await main()
