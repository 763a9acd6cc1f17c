def test_home_page_renders_in_vietnamese(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "Dịch vụ công trực tuyến" in response.content.decode()
