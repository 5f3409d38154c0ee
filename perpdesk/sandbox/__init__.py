"""A local, faithful BitMart Futures exchange: V2 wire protocol, engine, pages, Fast Connect."""
