export const handler = async (order) => ({ ...order, charged: true });
