export const handler=async()=>1
