"""Transports: the asyncio edge between byte streams (TCP, UART) and the node."""
