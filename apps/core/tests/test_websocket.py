from channels.testing import WebsocketCommunicator

from venue.asgi import application


async def test_health_socket_answers_ping_with_pong():
    communicator = WebsocketCommunicator(
        application, "/ws/health/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data="ping")
    assert await communicator.receive_from() == "pong"
    await communicator.send_to(text_data="hello")
    assert "ping" in await communicator.receive_from()
    await communicator.disconnect()


async def test_health_socket_refuses_a_foreign_origin():
    communicator = WebsocketCommunicator(
        application, "/ws/health/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
